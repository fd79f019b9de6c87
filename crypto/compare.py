"""Comparison of secrets without timing leaks."""

import hmac


def constant_time_equals(a: bytes, b: bytes) -> bool:
    """True if a == b, taking time that does not depend on where they first differ."""
    return hmac.compare_digest(a, b)
