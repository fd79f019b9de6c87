"""What a service raises when it refuses a request on its merits (not a fault)."""

from __future__ import annotations


class Refusal(ValueError):
    """The request was refused; `reason`, a short fixed word, tells the page which
    explanation to show. The caller rolls back, so nothing was changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
