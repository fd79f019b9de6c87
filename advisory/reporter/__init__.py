"""The anonymous surface: landing page, and later the report form and follow-up inbox."""

from advisory.reporter.routes import bp

__all__ = ["bp"]
