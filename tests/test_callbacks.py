"""Offering and booking callback slots: capacity holds, also under concurrent bookings."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from advisory.extensions import db
from advisory.models import (
    Callback,
    CallbackSlot,
    Case,
    ContactPreference,
    Kind,
    Line,
    Notification,
    Role,
)
from advisory.services.callbacks import (
    BookingConflict,
    SlotUnavailable,
    book_callback,
    free_slots,
    release_place,
)
from advisory.services.line_settings import change_line, line_config
from tests.conftest import OSLO, new_case

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)


@pytest.fixture
def one_place(db_session, line):
    """One callback place per slot on the cases' line."""
    change_line(db_session, line, {"slot_capacity": "1"}, now=MONDAY_10)
    return line_config(db_session, line.id)


def test_free_slots_are_the_earliest_inside_opening_hours_before_the_deadline(db_session, line):
    rules = line_config(db_session, line.id)
    due = rules.calendar.callback_due(MONDAY_10)  # Tuesday 10:00
    slots = free_slots(db_session, rules, line_id=line.id, after=MONDAY_10, until=due, limit=100)
    assert slots[0].start == MONDAY_10
    assert slots[-1].end == due
    assert len(slots) == 12 + 2  # Monday 10:00–16:00 and Tuesday 09:00–10:00


def test_a_full_slot_is_not_offered_and_cannot_be_booked(db_session, one_place, make_case):
    first, second = make_case(), make_case()
    booking = book_callback(
        db_session,
        case=first,
        now=MONDAY_10,
        contact_envelope="v1.x",
        slot_start=MONDAY_10,
    )
    assert booking.callback.slot_start == MONDAY_10
    assert not booking.after_deadline

    offered = free_slots(
        db_session,
        one_place,
        line_id=second.line_id,
        after=MONDAY_10,
        until=MONDAY_10 + timedelta(hours=2),
        limit=10,
    )
    assert MONDAY_10 not in [slot.start for slot in offered]
    with pytest.raises(SlotUnavailable, match="taken"):
        book_callback(
            db_session,
            case=second,
            now=MONDAY_10,
            contact_envelope=None,
            slot_start=MONDAY_10,
        )


def test_a_time_outside_opening_hours_cannot_be_booked(db_session, make_case):
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=OSLO)
    with pytest.raises(SlotUnavailable):
        book_callback(
            db_session,
            case=make_case(),
            now=MONDAY_10,
            contact_envelope=None,
            slot_start=saturday,
        )


def test_any_time_books_the_earliest_free_slot(db_session, one_place, make_case):
    book_callback(db_session, case=make_case(), now=MONDAY_10, contact_envelope=None)
    second = book_callback(db_session, case=make_case(), now=MONDAY_10, contact_envelope=None)
    assert second.callback.slot_start == MONDAY_10 + timedelta(minutes=30)


def test_any_time_bookings_fill_the_slots_in_order_across_days(db_session, one_place, make_case):
    # Given one place per slot, and more callbacks than one day holds (12 slots on Monday
    # from 10:00, 14 on Tuesday), each asking for any time within a week
    week = MONDAY_10 + timedelta(days=7)
    starts = [
        book_callback(
            db_session,
            case=make_case(callback_due_at=week),
            now=MONDAY_10,
            contact_envelope=None,
        ).callback.slot_start
        for _ in range(40)
    ]

    # Then each took the earliest place left: the opening-hours slots, in order, none twice
    local = [start.astimezone(OSLO) for start in starts]
    assert len(set(starts)) == 40
    assert starts == sorted(starts)
    assert local[0] == MONDAY_10
    assert local[12] == datetime(2026, 11, 24, 9, 0, tzinfo=OSLO)  # Tuesday's first slot
    assert local[-1] == datetime(2026, 11, 25, 15, 30, tzinfo=OSLO)  # Wednesday's last
    assert all(9 <= at.hour < 16 and at.weekday() < 5 for at in local)
    assert sum(row.booked for row in db_session.scalars(select(CallbackSlot))) == 40


def test_nothing_free_before_the_deadline_books_the_next_slot_and_warns_the_coordinator(
    db_session, one_place, make_case
):
    # Given a case due in one hour, and both slots before it taken
    due = MONDAY_10 + timedelta(hours=1)
    for _ in range(2):
        book_callback(db_session, case=make_case(), now=MONDAY_10, contact_envelope=None)
    case = make_case(callback_due_at=due)

    # When it asks for any time
    booking = book_callback(db_session, case=case, now=MONDAY_10, contact_envelope=None)

    # Then it gets the first slot after the deadline, and the coordinator hears of it once
    assert booking.after_deadline
    assert booking.callback.slot_start == due
    warnings = db_session.scalars(
        select(Notification).where(Notification.kind == "capacity_warning")
    ).all()
    assert [(w.role, w.case_reference) for w in warnings] == [(Role.COORDINATOR, case.reference)]


def test_releasing_a_place_makes_the_slot_free_again(db_session, one_place, make_case):
    booking = book_callback(
        db_session,
        case=make_case(),
        now=MONDAY_10,
        contact_envelope=None,
        slot_start=MONDAY_10,
    )
    release_place(db_session, booking.callback)
    row = db_session.get(CallbackSlot, (booking.callback.case.line_id, MONDAY_10.astimezone(UTC)))
    assert row is not None
    assert row.booked == 0


def test_two_concurrent_bookings_for_the_last_place_exactly_one_wins(app):
    """Two transactions on their own connections race for one place; both commit or fail."""
    with app.app_context():
        engine = db.engine
    case_ids = _commit_two_cases(engine)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(case_id: int) -> None:
        with Session(engine) as session:
            case = session.get(Case, case_id)  # a read first: the snapshot is now taken
            barrier.wait()
            try:
                book_callback(
                    session,
                    case=case,
                    now=MONDAY_10,
                    contact_envelope=None,
                    slot_start=MONDAY_10,
                )
                session.commit()
                outcomes.append("booked")
            except (SlotUnavailable, BookingConflict) as exc:
                session.rollback()
                outcomes.append(type(exc).__name__)

    try:
        threads = [threading.Thread(target=attempt, args=(case_id,)) for case_id in case_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        with Session(engine) as session:
            booked = session.scalars(select(Callback).where(Callback.case_id.in_(case_ids))).all()
            line_id = session.scalars(select(Line.id).where(Line.slug == "race")).one()
            slot = session.get(CallbackSlot, (line_id, MONDAY_10.astimezone(UTC)))
            assert outcomes.count("booked") == 1
            assert len(outcomes) == 2
            assert len(booked) == 1
            assert slot is not None
            assert slot.booked == 1
    finally:
        _remove_committed(engine, case_ids)


def _commit_two_cases(engine) -> list[int]:
    with Session(engine) as session:
        line = Line(slug="race", name="Race line", created_at=MONDAY_10, slot_capacity=1)
        session.add(line)
        session.flush()
        cases = [
            new_case(
                line.id,
                reference=f"RACE-000{n}",
                received_at=MONDAY_10,
                kind=Kind.OTHER,
                contact_preference=ContactPreference.CALLBACK,
                callback_due_at=MONDAY_10 + timedelta(days=1),
            )
            for n in (1, 2)
        ]
        session.add_all(cases)
        session.commit()
        return [case.id for case in cases]


def _remove_committed(engine, case_ids: list[int]) -> None:
    with Session(engine) as session:
        session.execute(delete(Callback).where(Callback.case_id.in_(case_ids)))
        session.execute(delete(CallbackSlot))
        session.execute(delete(Case).where(Case.id.in_(case_ids)))
        session.execute(delete(Line).where(Line.slug == "race"))
        session.commit()
