"""Administrators' pages: staff accounts (add, deactivate, reactivate, reset), lines, metrics."""

from advisory.admin import lines, metrics, staff_lines  # noqa: F401  (on the same blueprint)
from advisory.admin.routes import bp

__all__ = ["bp"]
