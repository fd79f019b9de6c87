"""How many callback places one connection may hold: a share, so a flood cannot take them all.

Counted like the rate limits (advisory/ratelimit.py): under the request's keyed, daily
rotating hash of the address, in the limiter's storage (memory or Redis), never in the
database. A report over its share is still taken, to be answered in the secure inbox.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from limits import parse_many

from advisory.context import current_settings
from advisory.extensions import limiter

SCOPE = "callback-places"


def callback_budget_left() -> bool:
    """Count one callback place for this connection; False once its share is used up."""
    make_key: Callable[[], str] = current_app.extensions["advisory_ratelimit_key"]
    key = make_key()
    try:
        return all(
            [
                limiter.limiter.hit(item, SCOPE, key)
                for item in parse_many(current_settings().callback_limit)
            ]
        )
    except Exception:  # the storage is unreachable: never refuse a place for that
        return True
