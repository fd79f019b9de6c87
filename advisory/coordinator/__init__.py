"""The coordinator's surface: the dashboard and the yearly report (figures, never content)."""

from advisory.coordinator.routes import bp

__all__ = ["bp"]
