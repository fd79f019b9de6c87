"""The staff surface's sign-in, sessions and its one access mechanism (`access.py`)."""

from advisory.auth import password  # noqa: F401  (registers the password page on bp)
from advisory.auth.routes import bp

__all__ = ["bp"]
