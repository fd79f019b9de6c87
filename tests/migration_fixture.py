"""A database without tables, on SQLite and PostgreSQL, for tests that run the migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_ENV, POSTGRES_URL
from tests.coordinator_fixture import postgres_schema

DATABASES = ("sqlite", "postgresql")


@contextmanager
def empty_database_url(kind: str, tmp_path: Path, schema: str) -> Iterator[str]:
    """A SQLite file, or a schema of its own in the PostgreSQL test database (skipped when
    that is not configured); nothing in either."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    with postgres_schema(schema) as url:
        yield url
