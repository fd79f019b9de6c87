"""Migrations of the figures on databases that already hold some: 0006 sums months from the
days first, then the days keep channel and kind only; 0020 gives the figures so far to the first
line, and going back adds the lines together. No count is lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy.orm import Session

from advisory import create_app
from advisory.extensions import db
from advisory.models import Line, StatsDaily, StatsMonthly
from tests.conftest import DEFAULT_NOW, base_env
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
            # The line the figures were counted for (0020 gives them to it).
            connection.execute(
                sa.text(
                    "INSERT INTO line (slug, name, created_at) "
                    "VALUES ('main', 'Line', '2026-01-01 00:00:00')"
                )
            )
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


# --- migration 0020 -----------------------------------------------------------------------------

BEFORE_LINES = "0019_callback_slot_per_line"
PER_LINE = "0020_stats_per_line"
CELL = ("channel", "kind", "reporter_role", "field", "metric", "bucket", "count")
OLD_DAILY = sa.table("stats_daily", sa.column("day", sa.Date()), *map(sa.column, CELL))
OLD_MONTHLY = sa.table("stats_monthly", sa.column("month", sa.Date()), *map(sa.column, CELL))
MARCH_2 = date(2026, 3, 2)
MARCH = date(2026, 3, 1)


def _cell(kind: str, count: int, metric: str = "received", bucket: int = 0) -> dict[str, object]:
    return dict(zip(CELL, ("web", kind, "*", "*", metric, bucket, count), strict=True))


def test_the_figures_counted_before_belong_to_the_first_line(tmp_path, empty_database):
    app = create_app(base_env(tmp_path, empty_database))
    with app.app_context():
        # Given a deployment at 0019 with two lines and figures counted without a line
        upgrade()
        lines = [Line(slug=slug, name=slug, created_at=DEFAULT_NOW) for slug in ("main", "musikk")]
        db.session.add_all(lines)
        db.session.commit()
        first_id, second_id = lines[0].id, lines[1].id
        db.session.remove()
        downgrade(revision=BEFORE_LINES)
        with db.engine.begin() as connection:
            connection.execute(
                OLD_DAILY.insert(),
                [
                    {"day": MARCH_2, **_cell("discrimination", 3)},
                    {"day": MARCH_2, **_cell("*", 2, "response_wall_minutes", 90)},
                ],
            )
            connection.execute(OLD_MONTHLY.insert(), [{"month": MARCH, **_cell("other", 4)}])

        # When it is upgraded
        upgrade(revision=PER_LINE)

        # Then the first line holds those figures, and the second line counts its own in the
        # same cells (new rows take new ids, also on PostgreSQL, whose sequence began anew)
        daily_after = _per_line(db.session, StatsDaily)
        monthly_after = _per_line(db.session, StatsMonthly)
        db.session.add_all(
            [
                StatsDaily(line_id=second_id, day=MARCH_2, **_cell("discrimination", 5)),
                StatsDaily(line_id=second_id, day=MARCH_2, **_cell("other", 1)),
                StatsMonthly(line_id=second_id, month=MARCH, **_cell("other", 6)),
            ]
        )
        db.session.commit()
        db.session.remove()

        # And going back adds up the lines' counts of each cell
        downgrade(revision=BEFORE_LINES)
        with db.engine.connect() as connection:
            daily = {_plain(row) for row in connection.execute(sa.select(OLD_DAILY))}
            monthly = {_plain(row) for row in connection.execute(sa.select(OLD_MONTHLY))}
        db.engine.dispose()

    assert daily_after == {
        (first_id, "discrimination", "received", 3),
        (first_id, "*", "response_wall_minutes", 2),
    }
    assert monthly_after == {(first_id, "other", "received", 4)}
    assert daily == {
        ("2026-03-02", "web", "discrimination", "*", "*", "received", 0, 8),
        ("2026-03-02", "web", "other", "*", "*", "received", 0, 1),
        ("2026-03-02", "web", "*", "*", "*", "response_wall_minutes", 90, 2),
    }
    assert monthly == {("2026-03-01", "web", "other", "*", "*", "received", 0, 10)}


def _per_line(
    session: Session, model: type[StatsDaily] | type[StatsMonthly]
) -> set[tuple[object, ...]]:
    query = sa.select(model.line_id, model.kind, model.metric, model.count)
    return {tuple(row) for row in session.execute(query)}
