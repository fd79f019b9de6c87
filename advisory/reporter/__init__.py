"""The anonymous surface: landing page, report form, and the follow-up inbox."""

from advisory.reporter import (
    finding_words,  # noqa: F401  (the words pages use for what was removed from a file)
    follow_up,  # noqa: F401  (registers its routes on bp)
    rate_limited,  # noqa: F401  (registers its 429 pages)
    too_large,  # noqa: F401  (registers its 413 pages on bp)
    uploads,  # noqa: F401  (registers the evidence upload API on bp)
)
from advisory.reporter.routes import bp

__all__ = ["bp"]
