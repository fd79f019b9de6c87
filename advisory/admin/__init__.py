"""Administrators' pages: staff accounts (add, deactivate, reactivate, reset)."""

from advisory.admin.routes import bp

__all__ = ["bp"]
