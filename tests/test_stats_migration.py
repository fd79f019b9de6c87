"""Migration 0006 on a database that already holds daily figures (SQLite): months are summed
from the days first, then the days keep channel and kind only; no count is lost."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from advisory import create_app
from advisory.extensions import db
from tests.conftest import base_env
from tests.migration_fixture import DATABASES, empty_database_url

SCHEMA = "migration_0006_test"

ROWS = [
    # day, channel, kind, role, field, metric, bucket, count  (as the rollup kept them before)
    ("2026-03-02", "web", "discrimination", "witnessed", "music", "received", 0, 2),
    ("2026-03-02", "web", "discrimination", "experienced", "music", "received", 0, 1),
    ("2026-03-20", "web", "discrimination", "witnessed", "music", "received", 0, 4),
    ("2026-04-01", "phone", "other", "-", "-", "received", 0, 1),
    ("2026-03-02", "web", "discrimination", "witnessed", "music", "response_wall_minutes", 90, 2),
    ("2026-03-20", "web", "sexual_harassment", "-", "stage", "response_wall_minutes", 90, 1),
]

SELECT_MONTHLY = (
    "SELECT month, channel, kind, reporter_role, field, metric, bucket, count FROM stats_monthly"
)
SELECT_DAILY = (
    "SELECT day, channel, kind, reporter_role, field, metric, bucket, count FROM stats_daily"
)


@pytest.fixture(params=DATABASES)
def empty_database(request, tmp_path) -> Iterator[str]:
    with empty_database_url(request.param, tmp_path, SCHEMA) as url:
        yield url


def test_daily_figures_are_summed_into_months_then_narrowed(tmp_path, empty_database):
    app = create_app(base_env(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0006_stats_monthly-1")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO stats_daily (day, channel, kind, reporter_role, field, metric,"
                    " bucket, count) VALUES (:day, :channel, :kind, :role, :field, :metric,"
                    " :bucket, :count)"
                ),
                [
                    dict(zip(("day", "channel", "kind", "role", "field", "metric", "bucket",
                              "count"), row, strict=True))
                    for row in ROWS
                ],
            )  # fmt: skip

        upgrade()

        with db.engine.connect() as connection:
            monthly = {_plain(row) for row in connection.execute(sa.text(SELECT_MONTHLY))}
            daily = {_plain(row) for row in connection.execute(sa.text(SELECT_DAILY))}
        downgrade(revision="0006_stats_monthly-1")  # and back: the monthly table goes
        with db.engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
        db.engine.dispose()

    assert monthly == {
        ("2026-03-01", "web", "discrimination", "witnessed", "music", "received", 0, 6),
        ("2026-03-01", "web", "discrimination", "experienced", "music", "received", 0, 1),
        ("2026-04-01", "phone", "other", "-", "-", "received", 0, 1),
        ("2026-03-01", "web", "*", "*", "*", "response_wall_minutes", 90, 3),
    }
    assert daily == {
        ("2026-03-02", "web", "discrimination", "*", "*", "received", 0, 3),
        ("2026-03-20", "web", "discrimination", "*", "*", "received", 0, 4),
        ("2026-04-01", "phone", "other", "*", "*", "received", 0, 1),
        ("2026-03-02", "web", "*", "*", "*", "response_wall_minutes", 90, 2),
        ("2026-03-20", "web", "*", "*", "*", "response_wall_minutes", 90, 1),
    }
    assert "stats_monthly" not in tables


def _plain(row: sa.Row) -> tuple[object, ...]:
    """Dates as ISO text, as SQLite returns them from raw SQL."""
    return tuple(value.isoformat() if hasattr(value, "isoformat") else value for value in row)
