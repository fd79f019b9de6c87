"""The lawyers' surface: the queue of open cases, the case page and its actions."""

from advisory.queue import cases  # noqa: F401  (registers the case routes on bp)
from advisory.queue.routes import bp

__all__ = ["bp"]
