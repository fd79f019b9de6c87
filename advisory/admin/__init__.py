"""Administrators' pages: staff accounts (add, deactivate, reactivate, reset) and lines."""

from advisory.admin import lines  # noqa: F401  (its pages are on the same blueprint)
from advisory.admin.routes import bp

__all__ = ["bp"]
