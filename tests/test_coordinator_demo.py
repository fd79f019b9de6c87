"""`flask demo seed`: a made-up year for the dashboard, with nothing anyone wrote in it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from advisory.models import Case, CaseStatus, StatsDaily, StatsMonthly
from advisory.services.demo import create_demo_staff
from advisory.services.line_keys import initialise_line
from tests.conftest import DEFAULT_NOW, TEST_SECRETS


@pytest.fixture
def real_instance(db_session):
    """Initialised as production is: a line key, no demo staff."""
    new_key = initialise_line(db_session, now=DEFAULT_NOW, iterations=1000)
    db_session.commit()
    return new_key


@pytest.fixture
def initialised(db_session, real_instance):
    """Initialised as `init --demo` does it: with the demo staff."""
    data_key = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
    create_demo_staff(db_session, new_key=real_instance, data_key=data_key, now=DEFAULT_NOW)
    db_session.commit()


def count(db_session, model, *conditions) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def test_demo_seed_makes_up_a_year_partly_rolled_up(runner, db_session, initialised):
    result = runner.invoke(args=["demo", "seed", "--per-day", "0.5"])

    assert result.exit_code == 0, result.output
    assert "Made up" in result.output
    live = db_session.scalars(select(Case)).all()
    assert 20 < len(live) < 200
    assert count(db_session, StatsDaily) > 0
    assert count(db_session, StatsMonthly) > 0
    # Old closed cases are only figures now; every closed case left is already counted.
    oldest = min(case.received_at for case in live)
    assert (DEFAULT_NOW - oldest).days < 200
    assert all(case.stats_folded for case in live if case.status is CaseStatus.CLOSED)
    # Nothing in clear: narratives are sealed placeholders, numbers sealed fakes.
    for case in live:
        assert case.narrative_envelope.startswith("v2.")
        assert "Synthetic" not in case.narrative_envelope
        assert case.reporter_lookup_hmac is None
        for callback in case.callbacks:
            assert callback.contact_envelope is None or callback.contact_envelope.startswith("v2.")


def test_demo_seed_leaves_a_database_with_cases_alone(runner, db_session, initialised):
    first = runner.invoke(args=["demo", "seed", "--per-day", "0.2"])
    cases = count(db_session, Case)

    again = runner.invoke(args=["demo", "seed"])
    quietly = runner.invoke(args=["demo", "seed", "--if-empty"])

    assert first.exit_code == 0, first.output
    assert again.exit_code != 0
    assert "already" in again.output
    assert quietly.exit_code == 0
    assert quietly.output == ""
    assert count(db_session, Case) == cases


def test_demo_seed_needs_an_initialised_line(runner):
    result = runner.invoke(args=["demo", "seed"])

    assert result.exit_code != 0
    assert "init" in result.output


def test_demo_seed_refuses_an_instance_that_is_not_a_demo(runner, db_session, real_instance):
    result = runner.invoke(args=["demo", "seed", "--if-empty"])

    assert result.exit_code != 0
    assert "init --demo" in result.output
    assert count(db_session, Case) == 0
    assert count(db_session, StatsDaily) == 0


def test_demo_seed_leaves_a_database_with_figures_alone(
    runner, db_session, real_instance, initialised
):
    # Figures that outlived their cases: the monthly rollup alone holds a past year.
    db_session.add(
        StatsMonthly(
            line_id=real_instance.line.id,
            month=date(2025, 3, 1),
            channel="web",
            kind="discrimination",
            reporter_role="",
            field="",
            metric="received",
            count=7,
        )
    )
    db_session.commit()

    result = runner.invoke(args=["demo", "seed"])

    assert result.exit_code != 0
    assert "already" in result.output
    assert count(db_session, Case) == 0
