"""The same fixture in SQLite and in PostgreSQL gives the same figures, to the last count.

Each database is built from the migrations in a place of its own (a SQLite file; a schema of
its own in the PostgreSQL test database), filled with the same random cases, part of them
folded into the rollup and part deleted by retention, and asked for the dashboard and the
yearly report. Skipped without ADVISORY_TEST_DATABASE_URL.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from advisory import create_app
from advisory.context import db_session
from advisory.extensions import db
from advisory.jobs import sweep_statistics
from advisory.models import (
    Callback,
    CallbackStatus,
    Case,
    CaseStatus,
    Channel,
    Field,
    Kind,
    Line,
    ReporterRole,
    Role,
    Staff,
)
from advisory.services.dashboard import build_dashboard
from advisory.services.figures import Period
from advisory.services.retention import apply_retention
from advisory.services.yearly_report import build_yearly_report
from tests.conftest import DEFAULT_NOW, base_env, needs_postgres
from tests.coordinator_fixture import postgres_schema

SCHEMA = "coordinator_compare_test"

pytestmark = needs_postgres


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    with postgres_schema(SCHEMA) as url:
        yield url


def fill(session: Any, calendar: Any) -> None:
    """Two years of random cases (the same for any database: a fixed seed)."""
    rng = random.Random(20261123)
    line = Line(slug="main", name="Line", created_at=DEFAULT_NOW)
    session.add(line)
    session.flush()
    lawyers = [
        Staff(
            username=f"lawyer-{number}",
            role=Role.LAWYER,
            line_id=line.id,
            password_hash="$argon2id$not-a-real-hash",
            totp_secret_encrypted="r1.not-a-real-secret",
            created_at=DEFAULT_NOW,
        )
        for number in range(3)
    ]
    session.add_all(lawyers)
    session.flush()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for number in range(300):
        received = start + timedelta(
            seconds=rng.randrange(int((DEFAULT_NOW - start).total_seconds()))
        )
        received += timedelta(microseconds=rng.randrange(10**6))
        answered = received + timedelta(
            minutes=rng.choice([5, 59, 61, 300, 1439, 1441, 4000, 9000])
        )
        answered = answered if rng.random() < 0.9 and answered < DEFAULT_NOW else None
        closed = rng.random() < 0.7 and received < DEFAULT_NOW - timedelta(days=3)
        case = Case(
            reference=f"CMP-{number:05d}",
            line_id=line.id,
            received_at=received,
            channel=rng.choice(list(Channel)),
            kind=rng.choice(list(Kind)),
            reporter_role=rng.choice([*ReporterRole, None]),
            field=rng.choice([*Field, None]),
            contact_preference="inbox",
            priority=rng.choice([1, 2, 3, 4]),
            status=CaseStatus.CLOSED if closed else rng.choice(
                [CaseStatus.NEW, CaseStatus.IN_PROGRESS]
            ),
            closed_at=min(received + timedelta(days=2), DEFAULT_NOW) if closed else None,
            assigned_lawyer_id=rng.choice([None, *(lawyer.id for lawyer in lawyers)]),
            callback_due_at=calendar.callback_due(received),
            first_response_at=answered,
        )  # fmt: skip
        session.add(case)
        for attempt in range(rng.choice([0, 0, 1, 2])):
            slot = received + timedelta(hours=3 + attempt)
            case.callbacks.append(
                Callback(
                    slot_start=slot,
                    slot_end=slot + timedelta(minutes=30),
                    status=rng.choice([CallbackStatus.REACHED, CallbackStatus.NO_ANSWER]),
                    outcome_at=slot,
                )
            )
    session.flush()


def figures_of(database_url: str, instance: Path) -> tuple[Any, ...]:
    app = create_app(base_env(instance, database_url))
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
    settings = app.extensions["advisory_settings"]
    with app.app_context():
        upgrade()
        session = db_session()
        fill(session, settings.calendar)
        # The closed cases counted into the rollup; those closed long ago deleted.
        sweep_statistics(session, settings, DEFAULT_NOW)
        apply_retention(session, settings, DEFAULT_NOW)
        session.commit()
        figures = (
            build_dashboard(
                session, settings, period=Period(date(2025, 11, 24), date(2026, 11, 23)),
                now=DEFAULT_NOW,
            ),
            build_dashboard(
                session, settings, period=Period(date(2026, 3, 15), date(2026, 11, 10)),
                now=DEFAULT_NOW,
            ),
            build_yearly_report(session, year=2025, now=DEFAULT_NOW),
            build_yearly_report(session, year=2026, now=DEFAULT_NOW),
            session.scalar(sa.select(sa.func.count()).select_from(Case)),
        )  # fmt: skip
        session.close()
        db.engine.dispose()
    return figures


def test_sqlite_and_postgresql_give_the_same_figures(tmp_path, postgres_schema_url):
    on_sqlite = figures_of(f"sqlite:///{tmp_path / 'compare.db'}", tmp_path / "sqlite")
    on_postgresql = figures_of(postgres_schema_url, tmp_path / "postgresql")

    assert on_sqlite == on_postgresql
    dashboard = on_sqlite[0]
    assert dashboard.received > 100  # the fixture really counts
    assert dashboard.response.answered > 50
    assert 0 < on_sqlite[-1] < 300  # some cases deleted, some live
