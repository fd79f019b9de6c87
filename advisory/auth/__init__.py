"""The staff surface's sign-in, sessions and its one access mechanism (`access.py`)."""

from advisory.auth import custody, language  # noqa: F401  (they register their views on bp)
from advisory.auth.routes import bp

__all__ = ["bp"]
