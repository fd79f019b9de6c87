"""The lawyers' surface: the queue of open cases, the case page and its actions."""

import advisory.queue.phone  # noqa: F401  (registers the phone-intake routes on bp)
from advisory.queue import cases  # noqa: F401  (registers the case routes on bp)
from advisory.queue.routes import bp

__all__ = ["bp"]
