"""The lawyers' surface: the queue of open cases, the case page and its actions, evidence
files, phone intake.

The blueprint is called "queue" (its endpoints are queue.*); the package is not, so it does
not shadow the standard library's `queue`.
"""

import advisory.lawyers.evidence  # noqa: F401  (registers the evidence routes on bp)
import advisory.lawyers.phone  # noqa: F401  (registers the phone-intake routes on bp)
from advisory.lawyers import cases  # noqa: F401  (registers the case routes on bp)
from advisory.lawyers.routes import bp

__all__ = ["bp"]
