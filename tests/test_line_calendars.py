"""Each line's own settings decide its cases: the deadline set at intake, the at-risk warning
and retention. A changed calendar decides only the cases that arrive after the change."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

import crypto
from advisory import triage
from advisory.models import Case, CaseStatus, ContactPreference, Kind, Line
from advisory.services import deadlines
from advisory.services.intake import Contact, ReporterKeys, submit_case
from advisory.services.line_settings import add_line, change_line, line_config
from advisory.services.retention import apply_retention
from tests.conftest import DEFAULT_NOW, OSLO
from tests.line_helpers import swedish_texts
from tests.reporter_helpers import pepper_of

MIDSUMMER_EVE = date(2027, 6, 25)  # a Friday: Sweden closes, Norway is open
# Thursday before it, 10:00 in Oslo and in Stockholm (one time zone in summer)
THURSDAY_10 = datetime(2027, 6, 24, 10, 0, tzinfo=OSLO)
FRIDAY_10 = datetime(2027, 6, 25, 10, 0, tzinfo=OSLO)
MONDAY_10 = datetime(2027, 6, 28, 10, 0, tzinfo=OSLO)


@pytest.fixture
def swedish_line(db_session, line) -> Line:
    """A second line, in Sweden, with the first line's hours and 30 days of retention."""
    texts = swedish_texts(line, "Rådgivningslinjen", retention_days="30")
    return add_line(db_session, slug="sverige", texts=texts, now=DEFAULT_NOW)


def reported(app, db_session, line: Line, at: datetime) -> Case:
    """A web report taken in by the intake service on `line` at `at`."""
    code = crypto.generate_case_code()
    return submit_case(
        db_session,
        line_id=line.id,
        pepper=pepper_of(app),
        submission_token=f"token-of-{code}",
        answers=triage.Answers(kind=Kind.OTHER),
        narrative_envelope=None,
        reporter=ReporterKeys(crypto.lookup_token(code), "k" * 43),
        contact=Contact(ContactPreference.INBOX),
        now=at,
    ).case


def test_the_lines_are_told_apart_by_midsummer_eve(db_session, line, swedish_line):
    norwegian = line_config(db_session, line.id).calendar
    swedish = line_config(db_session, swedish_line.id).calendar

    assert norwegian.open_intervals(MIDSUMMER_EVE)
    assert swedish.open_intervals(MIDSUMMER_EVE) == []


def test_a_report_gets_the_deadline_of_its_own_lines_calendar(app, db_session, line, swedish_line):
    # Given two lines, one closed on Midsummer Eve, and a report to each the day before
    to_norway = reported(app, db_session, line, THURSDAY_10)
    to_sweden = reported(app, db_session, swedish_line, THURSDAY_10)

    # Then each is due one working day of its own line later
    assert to_norway.callback_due_at == FRIDAY_10
    assert to_sweden.callback_due_at == MONDAY_10  # Midsummer Eve and the weekend are closed


def test_a_changed_calendar_keeps_the_deadline_given_and_sets_the_next_ones(
    app, db_session, line, swedish_line
):
    # Given a report to the Norwegian line, due on Friday
    earlier = reported(app, db_session, line, THURSDAY_10)

    # When the line stops opening on Fridays
    change_line(
        db_session,
        line,
        {"weekly_hours": "mon=09:00-16:00; tue=09:00-16:00; wed=09:00-16:00; thu=09:00-16:00"},
        now=THURSDAY_10,
    )
    later = reported(app, db_session, line, THURSDAY_10 + timedelta(minutes=1))

    # Then the first keeps the deadline it was given, and the next is counted on the new hours
    db_session.expire_all()
    assert db_session.get(Case, earlier.id).callback_due_at == FRIDAY_10
    assert db_session.get(Case, later.id).callback_due_at == MONDAY_10 + timedelta(minutes=1)
    # while the other line still opens on an ordinary Friday
    thursday_a_week_before = THURSDAY_10 - timedelta(days=7)
    to_sweden = reported(app, db_session, swedish_line, thursday_a_week_before)
    assert to_sweden.callback_due_at == FRIDAY_10 - timedelta(days=7)


def test_a_deadline_is_at_risk_by_the_opening_hours_left_on_its_own_line(
    db_session, settings, make_case, line, swedish_line
):
    # Given a case on each line due first thing after Midsummer (Monday 09:30)
    due = datetime(2027, 6, 28, 9, 30, tzinfo=OSLO)
    make_case(reference="NORW-0001", line_id=line.id, callback_due_at=due)
    make_case(reference="SWED-0001", line_id=swedish_line.id, callback_due_at=due)

    # When the sweep looks on Thursday at 15:00, two opening hours counted on each line's
    # calendar reach Friday 10:00 in Norway, but Monday 10:00 in Sweden
    thursday_15 = datetime(2027, 6, 24, 15, 0, tzinfo=OSLO)
    at_risk = db_session.scalars(
        select(Case.reference).where(deadlines.at_risk(db_session, settings, thursday_15))
    ).all()

    # Then only the Swedish case is at risk
    assert at_risk == ["SWED-0001"]


def test_closed_cases_go_after_the_retention_period_of_their_own_line(
    db_session, settings, make_case, line, swedish_line
):
    # Given a case closed 45 days ago on each line (Norway keeps 60 days, Sweden 30)
    closed = DEFAULT_NOW - timedelta(days=45)
    for reference, line_id in (("NORW-0001", line.id), ("SWED-0001", swedish_line.id)):
        make_case(
            reference=reference,
            line_id=line_id,
            received_at=closed - timedelta(days=5),
            status=CaseStatus.CLOSED,
            closed_at=closed,
        )

    # When retention runs
    deleted = apply_retention(db_session, settings, DEFAULT_NOW)

    # Then only the Swedish case is gone
    assert deleted == 1
    assert db_session.scalars(select(Case.reference)).all() == ["NORW-0001"]


@pytest.mark.parametrize(
    ("promised_days", "now_days", "kept"),
    [
        (30, 60, False),  # promised 30 days at closing; a longer period set later keeps nothing
        (60, 30, False),  # a period shortened later applies at once
        (60, 60, True),  # within both
    ],
)
def test_a_closed_case_goes_at_its_promise_or_sooner(
    db_session, settings, make_case, line, promised_days, now_days, kept
):
    # Given a case closed 45 days ago with the retention date promised then, and the line's
    # retention period as it is now
    closed = DEFAULT_NOW - timedelta(days=45)
    make_case(
        reference="KEPT-0001",
        received_at=closed - timedelta(days=5),
        status=CaseStatus.CLOSED,
        closed_at=closed,
        retention_until=closed + timedelta(days=promised_days),
    )
    change_line(db_session, line, {"retention_days": str(now_days)}, now=DEFAULT_NOW)

    # When retention runs
    apply_retention(db_session, settings, DEFAULT_NOW)

    # Then the case is kept only while both allow it
    assert db_session.scalars(select(Case.reference)).all() == (["KEPT-0001"] if kept else [])
