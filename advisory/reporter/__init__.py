"""The anonymous surface: landing page, report form, and the follow-up inbox."""

from advisory.reporter import (
    follow_up,  # noqa: F401  (registers its routes on bp)
    rate_limited,  # noqa: F401  (registers its 429 pages)
    too_large,  # noqa: F401  (registers its 413 pages on bp)
    uploads,  # noqa: F401  (registers the evidence upload API on bp)
)
from advisory.reporter.routes import bp

__all__ = ["bp"]
