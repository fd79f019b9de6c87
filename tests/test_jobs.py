"""Scheduler sweeps: each looks at state, acts once per event, and logs no case content.

Every test runs on each configured database inside a rolled-back transaction and calls the
sweeps directly with an explicit `now`. Times are written as Oslo wall-clock times (the line's
time zone); opening hours are Monday to Friday 09:00-16:00 there. Expected opening times are
worked out by hand in the comments, never with the calendar under test.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from advisory import audit
from advisory.audit import Anchor
from advisory.jobs import SWEEPS, sweep_audit_anchor
from advisory.models import (
    Callback,
    CallbackSlot,
    CallbackStatus,
    Case,
    CaseStatus,
    Direction,
    Message,
    Notification,
    Role,
    StatsDaily,
)
from advisory.scheduler import run_sweep_in
from advisory.services.callback_follow_up import follow_up_callbacks
from advisory.services.callbacks import book_callback
from advisory.services.deadline_watch import watch_deadlines
from advisory.services.notifications import NotificationKind
from advisory.services.retention import apply_retention
from advisory.stats import Metric
from tests.conftest import DEFAULT_NOW, OSLO

FRIDAY = "2026-11-20"
MONDAY = "2026-11-23"  # DEFAULT_NOW is Monday 10:00 in Oslo
ENVELOPE = "v1.0123456789abcdef.c2VhbGVkLXBob25lLW51bWJlcg"


def oslo(day: str, wall_clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{wall_clock}").replace(tzinfo=OSLO)


@pytest.fixture
def lawyer(make_staff):
    return make_staff(Role.LAWYER)


def notes(session, *cases: Case) -> list[Notification]:
    """Notifications about these cases, oldest first."""
    references = [case.reference for case in cases]
    query = select(Notification).where(Notification.case_reference.in_(references))
    return list(session.scalars(query.order_by(Notification.id)))


def kinds(session, *cases: Case) -> list[str]:
    return [note.kind for note in notes(session, *cases)]


# --- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "due", "at_risk"),
    [
        pytest.param(oslo(MONDAY, "10:00"), oslo(MONDAY, "11:30"), True, id="1.5 h left"),
        pytest.param(oslo(MONDAY, "10:00"), oslo(MONDAY, "12:00"), True, id="exactly 2 h left"),
        pytest.param(oslo(MONDAY, "10:00"), oslo(MONDAY, "12:01"), False, id="2 h 1 min left"),
        pytest.param(oslo(MONDAY, "10:00"), oslo(MONDAY, "13:00"), False, id="3 h left"),
        # Friday 15:30-16:00 is 0.5 h, Monday 09:00-10:00 is 1 h: 1.5 opening hours are left
        # although 66.5 hours of wall-clock time are.
        pytest.param(oslo(FRIDAY, "15:30"), oslo(MONDAY, "10:00"), True, id="weekend 1.5 h"),
        # Friday 15:30-16:00 plus Monday 09:00-11:00: 2.5 opening hours.
        pytest.param(oslo(FRIDAY, "15:30"), oslo(MONDAY, "11:00"), False, id="weekend 2.5 h"),
        # Closed until 09:00: only 09:00-10:30 counts, 1.5 h of 3.5 h wall-clock time.
        pytest.param(oslo(MONDAY, "07:00"), oslo(MONDAY, "10:30"), True, id="before opening"),
        # Wednesday before Easter 2027, 15:30-16:00 is 0.5 h; Maundy Thursday, Good Friday, the
        # weekend and Easter Monday are closed; Tuesday 09:00-10:00 is 1 h: 1.5 h.
        pytest.param(oslo("2027-03-24", "15:30"), oslo("2027-03-30", "10:00"), True, id="Easter"),
        pytest.param(oslo(MONDAY, "12:00"), oslo(MONDAY, "12:00"), False, id="due now: late"),
    ],
)
def test_a_deadline_is_at_risk_within_two_opening_hours(
    db_session, settings, make_case, now, due, at_risk
):
    case = make_case(received_at=due - timedelta(days=1), callback_due_at=due)

    watch_deadlines(db_session, settings, now)

    expected = [NotificationKind.DEADLINE_AT_RISK] if at_risk else []
    at_risk_notes = [k for k in kinds(db_session, case) if k == NotificationKind.DEADLINE_AT_RISK]
    assert at_risk_notes == expected


def test_an_assigned_case_at_risk_warns_its_lawyer_once(db_session, settings, make_case, lawyer):
    case = make_case(assigned_lawyer_id=lawyer.id, callback_due_at=oslo(MONDAY, "11:00"))

    assert watch_deadlines(db_session, settings, DEFAULT_NOW) == 1
    assert watch_deadlines(db_session, settings, DEFAULT_NOW) == 0
    assert watch_deadlines(db_session, settings, DEFAULT_NOW + timedelta(minutes=30)) == 0

    [note] = notes(db_session, case)
    assert note.kind == NotificationKind.DEADLINE_AT_RISK
    assert (note.staff_id, note.role) == (lawyer.id, None)
    assert note.case_reference == case.reference


def test_an_unassigned_case_at_risk_warns_every_lawyer_once(db_session, settings, make_case):
    case = make_case(callback_due_at=oslo(MONDAY, "11:00"))

    watch_deadlines(db_session, settings, DEFAULT_NOW)
    watch_deadlines(db_session, settings, DEFAULT_NOW + timedelta(minutes=5))

    [note] = notes(db_session, case)
    assert note.kind == NotificationKind.DEADLINE_AT_RISK
    assert (note.staff_id, note.role) == (None, Role.LAWYER)


def test_an_answered_or_closed_case_is_not_at_risk(db_session, settings, make_case):
    due = oslo(MONDAY, "11:00")
    answered = make_case(callback_due_at=due, first_response_at=DEFAULT_NOW - timedelta(hours=1))
    closed = make_case(callback_due_at=due, status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW)

    assert watch_deadlines(db_session, settings, DEFAULT_NOW) == 0
    assert notes(db_session, answered, closed) == []


def test_a_passed_deadline_is_breached_once_and_reported_to_coordinators(
    db_session, settings, make_case, lawyer
):
    # Given a case due on Friday 15:00 that nobody answered
    due = oslo(FRIDAY, "15:00")
    case = make_case(
        received_at=due - timedelta(days=1), callback_due_at=due, assigned_lawyer_id=lawyer.id
    )

    # When the sweep runs on Monday, and again an hour later
    first = watch_deadlines(db_session, settings, DEFAULT_NOW)
    second = watch_deadlines(db_session, settings, DEFAULT_NOW + timedelta(hours=1))

    # Then the breach is dated at the deadline (not at the sweep) and reported once
    assert (first, second) == (1, 0)
    db_session.expire_all()
    assert case.breached_at == due
    [note] = notes(db_session, case)
    assert note.kind == NotificationKind.DEADLINE_BREACHED
    assert (note.staff_id, note.role) == (None, Role.COORDINATOR)
    assert note.case_reference == case.reference


@pytest.mark.parametrize(
    ("status", "answered", "breached"),
    [
        pytest.param(CaseStatus.NEW, None, True, id="unanswered"),
        pytest.param(CaseStatus.IN_PROGRESS, timedelta(minutes=30), True, id="answered late"),
        pytest.param(CaseStatus.CLOSED, timedelta(minutes=30), True, id="closed, answered late"),
        pytest.param(CaseStatus.IN_PROGRESS, -timedelta(minutes=30), False, id="in time"),
        pytest.param(CaseStatus.IN_PROGRESS, timedelta(0), False, id="right at the deadline"),
        pytest.param(CaseStatus.CLOSED, -timedelta(minutes=30), False, id="closed in time"),
        pytest.param(CaseStatus.CLOSED, None, False, id="closed unanswered"),
    ],
)
def test_a_deadline_is_breached_only_when_the_answer_came_late_or_never(
    db_session, settings, make_case, status, answered, breached
):
    due = oslo(FRIDAY, "15:00")
    case = make_case(
        received_at=due - timedelta(days=1),
        callback_due_at=due,
        status=status,
        closed_at=due + timedelta(hours=1) if status is CaseStatus.CLOSED else None,
        first_response_at=None if answered is None else due + answered,
    )

    watch_deadlines(db_session, settings, DEFAULT_NOW)
    watch_deadlines(db_session, settings, DEFAULT_NOW + timedelta(days=1))

    db_session.expire_all()
    assert case.breached_at == (due if breached else None)
    expected = [NotificationKind.DEADLINE_BREACHED] if breached else []
    assert kinds(db_session, case) == expected


# --- callbacks ----------------------------------------------------------------------------------

SLOT = oslo(MONDAY, "10:30")  # slots are cut from 09:00 in steps of 30 minutes
SLOT_END = SLOT + timedelta(minutes=30)


def book(session, case, slot_start=SLOT, *, attempts=1, booked_at=None) -> Callback:
    """A callback booked the way intake books it, so the slot's counter is right."""
    booking = book_callback(
        session,
        case=case,
        now=booked_at or slot_start - timedelta(days=1),
        contact_envelope=ENVELOPE,
        slot_start=slot_start,
        attempts=attempts,
    )
    return booking.callback


def booked_in_slot(session, slot_start: datetime) -> int | None:
    query = select(CallbackSlot.booked).where(CallbackSlot.slot_start == slot_start)
    return session.scalar(query)


def callbacks_of(session, case: Case) -> list[Callback]:
    query = select(Callback).where(Callback.case_id == case.id).order_by(Callback.id)
    return list(session.scalars(query))


@pytest.mark.parametrize(
    ("minutes_ahead", "reminded"),
    [(4, True), (5, True), (6, False)],
)
def test_a_booked_callback_is_reminded_once_shortly_before_its_slot(
    db_session, settings, make_case, lawyer, minutes_ahead, reminded
):
    case = make_case(assigned_lawyer_id=lawyer.id)
    callback = book(db_session, case)
    now = SLOT - timedelta(minutes=minutes_ahead)

    follow_up_callbacks(db_session, settings, now)
    follow_up_callbacks(db_session, settings, now + timedelta(seconds=30))

    if reminded:
        [note] = notes(db_session, case)
        assert note.kind == NotificationKind.CALLBACK_REMINDER
        assert (note.staff_id, note.case_reference) == (lawyer.id, case.reference)
    else:
        assert notes(db_session, case) == []
    assert callback.status is CallbackStatus.BOOKED


def test_a_missed_callback_is_booked_again_with_the_same_number(db_session, settings, make_case):
    # Given a callback in the 10:30-11:00 slot that nobody marked done
    case = make_case(callback_due_at=oslo("2026-11-24", "10:00"))
    missed = book(db_session, case)
    assert booked_in_slot(db_session, SLOT) == 1

    # When the sweep runs 16 minutes after the slot ended (the grace is 15)
    now = SLOT_END + timedelta(minutes=16)
    assert follow_up_callbacks(db_session, settings, now) == 1

    # Then it is missed, its number moved to a new booking in the next free slot (11:30)
    old, new = callbacks_of(db_session, case)
    assert old.id == missed.id
    assert (old.status, old.outcome_at, old.contact_envelope) == (CallbackStatus.MISSED, now, None)
    assert (new.status, new.attempts, new.contact_envelope) == (CallbackStatus.BOOKED, 2, ENVELOPE)
    assert new.slot_start == oslo(MONDAY, "11:30")
    # ... the old slot's place is free again and the new one is taken
    assert booked_in_slot(db_session, SLOT) == 0
    assert booked_in_slot(db_session, oslo(MONDAY, "11:30")) == 1
    # ... and the team hears of it once
    [note] = notes(db_session, case)
    assert (note.kind, note.role) == (NotificationKind.CALLBACK_MISSED, Role.LAWYER)
    assert note.case_reference == case.reference

    assert follow_up_callbacks(db_session, settings, now + timedelta(minutes=1)) == 0
    assert len(callbacks_of(db_session, case)) == 2
    assert len(notes(db_session, case)) == 1


def test_the_last_missed_attempt_goes_to_the_coordinator_and_drops_the_number(
    db_session, settings, make_case
):
    assert settings.callback_max_attempts == 3
    case = make_case(callback_due_at=oslo("2026-11-24", "10:00"))
    last = book(db_session, case, attempts=3)

    now = SLOT_END + timedelta(minutes=16)
    follow_up_callbacks(db_session, settings, now)
    follow_up_callbacks(db_session, settings, now + timedelta(minutes=1))

    [only] = callbacks_of(db_session, case)
    assert only.id == last.id
    assert (only.status, only.contact_envelope) == (CallbackStatus.MISSED, None)
    assert booked_in_slot(db_session, SLOT) == 0
    [note] = notes(db_session, case)
    assert note.kind == NotificationKind.CALLBACK_ATTEMPTS_EXHAUSTED
    assert (note.staff_id, note.role) == (None, Role.COORDINATOR)


def test_a_callback_within_the_grace_period_is_left_alone(db_session, settings, make_case):
    case = make_case()
    callback = book(db_session, case)

    assert follow_up_callbacks(db_session, settings, SLOT_END + timedelta(minutes=10)) == 0

    assert [c.id for c in callbacks_of(db_session, case)] == [callback.id]
    assert (callback.status, callback.contact_envelope) == (CallbackStatus.BOOKED, ENVELOPE)
    assert booked_in_slot(db_session, SLOT) == 1
    assert notes(db_session, case) == []


# --- retention ----------------------------------------------------------------------------------


def envelope_of(session, callback_id: int) -> str | None:
    return session.scalar(select(Callback.contact_envelope).where(Callback.id == callback_id))


@pytest.mark.parametrize(
    "status",
    [s for s in CallbackStatus if s is not CallbackStatus.BOOKED],
)
def test_a_phone_number_is_deleted_once_its_callback_is_done(
    db_session, settings, make_case, status
):
    case = make_case()
    done = book(db_session, case, oslo(MONDAY, "10:30"))
    waiting = book(db_session, case, oslo(MONDAY, "11:00"))
    done.status = status
    db_session.flush()

    apply_retention(db_session, settings, DEFAULT_NOW)

    assert envelope_of(db_session, done.id) is None
    assert envelope_of(db_session, waiting.id) == ENVELOPE


def test_a_closed_case_keeps_no_phone_number(db_session, settings, make_case):
    closed = make_case(status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW - timedelta(days=1))
    callback = book(db_session, closed)

    assert apply_retention(db_session, settings, DEFAULT_NOW) == 1

    assert envelope_of(db_session, callback.id) is None
    assert db_session.get(Case, closed.id) is not None  # the case itself is kept for now


def _count(session, model, **where) -> int:
    conditions = [getattr(model, name) == value for name, value in where.items()]
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_closed_cases_are_deleted_with_everything_after_sixty_days(db_session, settings, make_case):
    assert settings.retention_days == 60
    # Given cases closed 61 and 59 days ago, and an old open case, each with a message
    # and a callback
    old = DEFAULT_NOW - timedelta(days=100)
    expired = make_case(
        received_at=old, status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW - timedelta(days=61)
    )
    recent = make_case(
        received_at=old, status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW - timedelta(days=59)
    )
    still_open = make_case(received_at=old, callback_due_at=old + timedelta(days=1))
    for number, case in enumerate((expired, recent, still_open)):
        db_session.add(
            Message(case=case, direction=Direction.FROM_REPORTER, envelope=ENVELOPE, created_at=old)
        )
        book(db_session, case, oslo(MONDAY, "10:00") + timedelta(minutes=30 * number))
    db_session.flush()
    ids = {
        name: case.id
        for name, case in (("expired", expired), ("recent", recent), ("open", still_open))
    }

    # When retention runs
    apply_retention(db_session, settings, DEFAULT_NOW)

    # Then the expired case is gone with its messages and callbacks (ON DELETE CASCADE)
    assert _count(db_session, Case, id=ids["expired"]) == 0
    assert _count(db_session, Message, case_id=ids["expired"]) == 0
    assert _count(db_session, Callback, case_id=ids["expired"]) == 0
    # ... and the others are kept whole
    for name in ("recent", "open"):
        assert _count(db_session, Case, id=ids[name]) == 1
        assert _count(db_session, Message, case_id=ids[name]) == 1
        assert _count(db_session, Callback, case_id=ids[name]) == 1


@pytest.mark.parametrize(
    ("answered_after_due", "metric"),
    [
        pytest.param(-timedelta(hours=6), Metric.ANSWERED_IN_TIME, id="in time"),
        pytest.param(timedelta(hours=1), Metric.ANSWERED_LATE, id="late"),
        pytest.param(None, Metric.NEVER_ANSWERED, id="never"),
    ],
)
def test_a_deleted_case_is_counted_once_in_the_daily_figures(
    db_session, settings, make_case, answered_after_due, metric
):
    # Given a case received on Tuesday 15 September 2026 at 00:30 in Oslo (still Monday in UTC),
    # due a working day later, closed 61 days before now
    received = oslo("2026-09-15", "00:30")
    due = oslo("2026-09-15", "16:00")  # Tuesday 09:00-16:00 is the one working day
    day = date(2026, 9, 15)
    make_case(
        received_at=received,
        callback_due_at=due,
        first_response_at=None if answered_after_due is None else due + answered_after_due,
        status=CaseStatus.CLOSED,
        closed_at=DEFAULT_NOW - timedelta(days=61),
    )
    before = daily_totals(db_session, day, day)

    # When retention deletes it, and runs again
    assert apply_retention(db_session, settings, DEFAULT_NOW) == 1
    once = daily_totals(db_session, day, day)
    apply_retention(db_session, settings, DEFAULT_NOW + timedelta(hours=1))
    twice = daily_totals(db_session, day, day)

    # Then the figures of its (Oslo) day count it once: received, and how it was answered
    added = {name: once.get(name, 0) - before.get(name, 0) for name in once}
    assert added[Metric.RECEIVED] == 1
    assert added[metric] == 1
    others = {Metric.ANSWERED_IN_TIME, Metric.ANSWERED_LATE, Metric.NEVER_ANSWERED} - {metric}
    assert all(added.get(name, 0) == 0 for name in others)
    assert twice == once


# --- no content in logs -------------------------------------------------------------------------

CANARIES = {
    "narrative": "v1.0123456789abcdef.CANARY-narrative-Kq8s",
    "message": "v1.0123456789abcdef.CANARY-message-Zp3v",
    "contact": "v1.0123456789abcdef.CANARY-contact-Rw7m",
}


# hide_parameters keeps SQLAlchemy from quoting bound values, but PostgreSQL itself quotes the
# whole failing row in the DETAIL of a check or not-null violation: the logs must not carry it.


def test_sweeps_never_log_case_content(app, db_session, settings, make_case, clock, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="advisory")
    # Given committed cases with content for every sweep to act on: one at risk, one whose
    # callback was missed, one closed long ago with a message
    at_risk = make_case(
        callback_due_at=oslo(MONDAY, "11:00"), narrative_envelope=CANARIES["narrative"]
    )
    callback = book_callback(
        db_session,
        case=make_case(narrative_envelope=CANARIES["narrative"]),
        now=DEFAULT_NOW - timedelta(days=1),
        contact_envelope=CANARIES["contact"],
        slot_start=oslo(MONDAY, "09:00"),
    ).callback
    expired = make_case(
        received_at=DEFAULT_NOW - timedelta(days=90),
        status=CaseStatus.CLOSED,
        closed_at=DEFAULT_NOW - timedelta(days=61),
        narrative_envelope=CANARIES["narrative"],
    )
    db_session.add(
        Message(
            case=expired,
            direction=Direction.FROM_REPORTER,
            envelope=CANARIES["message"],
            created_at=DEFAULT_NOW - timedelta(days=90),
        )
    )
    at_risk_reference, callback_id = at_risk.reference, callback.id
    db_session.commit()

    # When every sweep runs through the scheduler's entry point
    changed = {name: run_sweep_in(app, name) for name in SWEEPS}

    # Then they did their work and said so, without a word of content
    assert changed["deadlines"] >= 1
    assert changed["callbacks"] >= 1
    assert changed["retention"] >= 1
    about = select(Notification.kind).where(Notification.case_reference == at_risk_reference)
    assert list(db_session.scalars(about)) == [NotificationKind.DEADLINE_AT_RISK]
    assert db_session.get(Callback, callback_id).status is CallbackStatus.MISSED
    assert "sweep 'retention' changed" in caplog.text
    for canary in CANARIES.values():
        assert canary not in caplog.text
        assert canary.split(".")[-1] not in caplog.text
    assert "v1." not in caplog.text


def test_a_failing_sweep_logs_no_envelope_either(
    app, db_session, settings, make_case, clock, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="advisory")
    callback_id = book(db_session, make_case()).id
    db_session.commit()

    def failing(session, settings, now):
        # A write the database refuses, with an envelope among the values of the failing row
        callback = session.get(Callback, callback_id)
        callback.contact_envelope = CANARIES["contact"]
        callback.attempts = 0  # violates the attempts_positive check
        session.flush()
        return 1

    monkeypatch.setitem(SWEEPS, "callbacks", failing)

    assert run_sweep_in(app, "callbacks") == 0

    assert [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "IntegrityError" in caplog.text  # the failure's kind is logged, its text withheld
    assert CANARIES["contact"] not in caplog.text
    assert "v1." not in caplog.text
    assert envelope_of(db_session, callback_id) == ENVELOPE


# --- the daily audit log anchor -----------------------------------------------------------------


def audited(db_session, count: int) -> Anchor:
    """`count` more audited actions, committed; returns the log's head after them."""
    for _ in range(count):
        audit.record(db_session, action="case.opened", now=DEFAULT_NOW)
    db_session.commit()
    return audit.head(db_session)


def anchor_notes(db_session) -> list[Notification]:
    query = select(Notification).where(Notification.kind == NotificationKind.AUDIT_ANCHOR)
    return list(db_session.scalars(query.order_by(Notification.id)))


def test_the_audit_anchor_is_sent_to_the_coordinators_once_a_local_day(db_session, settings):
    # Given a log with three events, anchored early on Monday
    monday_head = audited(db_session, 3)
    assert sweep_audit_anchor(db_session, settings, oslo(MONDAY, "00:10")) == 1
    # When more is audited and the sweep runs again all day long
    audited(db_session, 2)
    for wall_clock in ("09:00", "16:00", "23:59"):
        assert sweep_audit_anchor(db_session, settings, oslo(MONDAY, wall_clock)) == 0
    # Then the next day in Oslo (23:30 UTC on Monday) anchors the new head, once
    tuesday = oslo("2026-11-24", "00:30")
    assert sweep_audit_anchor(db_session, settings, tuesday) == 1
    assert sweep_audit_anchor(db_session, settings, tuesday + timedelta(hours=1)) == 0

    notes_sent = anchor_notes(db_session)
    assert [note.audit_anchor for note in notes_sent] == [
        str(monday_head),
        str(audit.head(db_session)),
    ]
    assert all((note.role, note.staff_id) == (Role.COORDINATOR, None) for note in notes_sent)


def test_a_day_without_new_audit_events_sends_no_new_anchor(db_session, settings):
    audited(db_session, 2)
    assert sweep_audit_anchor(db_session, settings, oslo(MONDAY, "09:00")) == 1

    assert sweep_audit_anchor(db_session, settings, oslo("2026-11-24", "09:00")) == 0
    assert len(anchor_notes(db_session)) == 1


def test_an_empty_audit_log_is_not_anchored(db_session, settings):
    assert sweep_audit_anchor(db_session, settings, oslo(MONDAY, "09:00")) == 0
    assert anchor_notes(db_session) == []


def daily_totals(session, first: date, last: date) -> dict[str, int]:
    """Count per metric over a period of the daily figures, summed in SQL."""
    rows = session.execute(
        select(StatsDaily.metric, func.sum(StatsDaily.count))
        .where(StatsDaily.day >= first, StatsDaily.day <= last)
        .group_by(StatsDaily.metric)
    )
    return {metric: int(total) for metric, total in rows}
