"""The lawyers' surface: the queue of open cases."""

from advisory.queue.routes import bp

__all__ = ["bp"]
