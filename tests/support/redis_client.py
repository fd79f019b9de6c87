"""A Redis client for tests that need the server, or a skip saying why they cannot run."""

from __future__ import annotations

from typing import Any

import pytest


def reachable_redis(url: str, needed_for: str) -> Any:
    """A client of `url` that answered a ping; else the test is skipped, naming the reason."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        pytest.skip(f"{needed_for}: {url} is not reachable")
    return client
