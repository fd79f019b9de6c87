"""Migration 0017: a deployment's one line takes the settings its environment held, and
nothing else changes: its cases, keys and figures are all still there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from advisory import create_app
from advisory.extensions import db
from advisory.services.line_keys import initialise_line
from tests.conftest import DEFAULT_NOW, TEST_SECRETS, base_env, new_case
from tests.migration_fixture import DATABASES, empty_database_url

SCHEMA = "migration_0017_test"
BEFORE = "0016_attachments"
# A deployment configured the way it had to be before lines had settings.
ENVIRONMENT = {
    "ADVISORY_TIMEZONE": "Europe/Stockholm",
    "ADVISORY_HOLIDAY_COUNTRY": "SE",
    "ADVISORY_WEEKLY_HOURS": "mon=08:00-12:00; tue=closed; wed=closed; thu=closed; fri=closed",
    "ADVISORY_CLOSED_DATES": "2027-01-07",
    "ADVISORY_DUTY_ROSTER": "mon=08:00-10:00*3",
    "ADVISORY_SLOT_MINUTES": "20",
    "ADVISORY_RETENTION_DAYS": "90",
    "ADVISORY_DEFAULT_LOCALE": "en",
    "ADVISORY_LINE_PHONE": "+46 8 123 456",
    "ADVISORY_P1_TARGET_HOURS": "3",
}
COUNTS = {
    "case": 'SELECT COUNT(*) FROM "case"',
    "line_key": "SELECT COUNT(*) FROM line_key",
    "wrapped_key": "SELECT COUNT(*) FROM wrapped_key",
    "stats_monthly": "SELECT SUM(count) FROM stats_monthly",
}


@pytest.fixture(params=DATABASES)
def empty_database(request, tmp_path) -> Iterator[str]:
    with empty_database_url(request.param, tmp_path, SCHEMA) as url:
        yield url


def test_the_line_takes_the_environments_settings_and_keeps_its_cases(tmp_path, empty_database):
    app = create_app(base_env(tmp_path, empty_database, **ENVIRONMENT))
    with app.app_context():
        # Given a deployment at 0016 holding a line, its key, a case and figures
        upgrade()
        created = initialise_line(
            db.session,
            now=DEFAULT_NOW,
            iterations=1000,
            data_key=bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"]),
        )
        db.session.add(new_case(created.line.id))
        db.session.commit()
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO stats_monthly (line_id, month, channel, kind, reporter_role, "
                    "field, metric, bucket, count) VALUES (:line, '2026-11-01', 'web', 'other', "
                    "'*', '*', 'received', 0, 7)"
                ),
                {"line": created.line.id},
            )
        db.session.remove()
        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            before = {name: connection.scalar(sa.text(query)) for name, query in COUNTS.items()}
            old_columns = {column["name"] for column in sa.inspect(connection).get_columns("line")}

        # When it is upgraded
        upgrade()

        with db.engine.connect() as connection:
            after = {name: connection.scalar(sa.text(query)) for name, query in COUNTS.items()}
            line = connection.execute(sa.text("SELECT * FROM line")).mappings().one()
        db.engine.dispose()

    # Then nothing is lost and the line holds what the environment said
    assert "weekly_hours" not in old_columns  # 0016 really had no line settings
    assert before == after == {"case": 1, "line_key": 1, "wrapped_key": 1, "stats_monthly": 7}
    assert line["slug"] == "main"  # envelopes are bound to the slug: it never changes
    assert line["timezone"] == "Europe/Stockholm"
    assert line["holiday_country"] == "SE"
    assert line["weekly_hours"] == "mon=08:00-12:00"
    assert line["closed_dates"] == "2027-01-07"
    assert line["duty_roster"] == "mon=08:00-10:00*3"
    assert line["slot_minutes"] == 20
    assert line["p1_target_hours"] == 3
    assert line["retention_days"] == 90
    assert line["default_language"] == "en"
    assert line["languages"] == "sv, en"  # Sweden's languages, English among them
    assert line["phone"] == "+46 8 123 456"
    assert line["emergency_numbers"].startswith("112=emergency; 1177=medical_advice")
    assert line["deadline_hours"] is None  # one working day, as before
