"""Each line has its own callback places: a booking on one line takes no place of another's
slot at the same time, a released place goes back to its own line, and migration 0019 gives
the bookings counted before to the first line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from advisory import create_app
from advisory.extensions import db
from advisory.models import Callback, CallbackSlot, Line
from advisory.services.callback_capacity import capacity_figures
from advisory.services.callbacks import SlotUnavailable, book_callback, free_slots, release_place
from advisory.services.follow_up import rebook_callback
from advisory.services.line_keys import initialise_line
from advisory.services.line_settings import add_line, change_line, line_config, texts_of
from advisory.services.periods import Period, Scope
from tests.conftest import OSLO, TEST_SECRETS, base_env
from tests.migration_fixture import DATABASES, empty_database_url

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=OSLO)
MONDAY_1030 = MONDAY_10 + timedelta(minutes=30)


@pytest.fixture
def two_lines(db_session, line) -> tuple[Line, Line]:
    """The test line and a second one, "musikk", alike but for their names: one place a slot."""
    change_line(db_session, line, {"slot_capacity": "1"}, now=MONDAY_10)
    texts = {**texts_of(line), "name": "Musikk", "slot_capacity": "1"}
    return line, add_line(db_session, slug="musikk", texts=texts, now=MONDAY_10)


def book_at(db_session, make_case, line: Line, start: datetime | None) -> Callback:
    case = make_case(line_id=line.id)
    return book_callback(
        db_session, case=case, now=MONDAY_10, contact_envelope=None, slot_start=start
    ).callback


def booked_counts(db_session) -> dict[tuple[int, datetime], int]:
    rows = db_session.execute(
        select(CallbackSlot.line_id, CallbackSlot.slot_start, CallbackSlot.booked)
    )
    return {(line_id, start): booked for line_id, start, booked in rows}


def test_a_booking_on_one_line_takes_no_place_of_another_lines_slot(
    db_session, make_case, two_lines
):
    first, second = two_lines
    # Given the first line's one place at 10:00 is booked
    book_at(db_session, make_case, first, MONDAY_10)

    # Then the second line still offers 10:00, and a case there books it
    rules = line_config(db_session, second.id)
    offered = free_slots(
        db_session, rules, line_id=second.id, after=MONDAY_10, until=MONDAY_1030, limit=5
    )
    assert [slot.start for slot in offered] == [MONDAY_10]
    assert book_at(db_session, make_case, second, MONDAY_10).slot_start == MONDAY_10

    # And each line's last place at 10:00 is gone: neither takes another booking there
    for line in (first, second):
        with pytest.raises(SlotUnavailable, match="taken"):
            book_at(db_session, make_case, line, MONDAY_10)
    at_ten = MONDAY_10.astimezone(UTC)
    assert booked_counts(db_session) == {(first.id, at_ten): 1, (second.id, at_ten): 1}


def test_any_time_takes_the_earliest_place_of_the_cases_own_line(db_session, make_case, two_lines):
    first, second = two_lines
    # Given the first line's 10:00 and 10:30 are booked
    assert book_at(db_session, make_case, first, None).slot_start == MONDAY_10
    assert book_at(db_session, make_case, first, None).slot_start == MONDAY_1030

    # Then a case on the second line asking for any time gets that line's 10:00
    assert book_at(db_session, make_case, second, None).slot_start == MONDAY_10


def test_a_released_place_goes_back_to_its_own_line(db_session, make_case, two_lines):
    first, second = two_lines
    mine = book_at(db_session, make_case, first, MONDAY_10)
    book_at(db_session, make_case, second, MONDAY_10)

    release_place(db_session, mine)

    at_ten = MONDAY_10.astimezone(UTC)
    assert booked_counts(db_session) == {(first.id, at_ten): 0, (second.id, at_ten): 1}
    with pytest.raises(SlotUnavailable):
        book_at(db_session, make_case, second, MONDAY_10)
    assert book_at(db_session, make_case, first, MONDAY_10).slot_start == MONDAY_10


def test_rebooking_moves_the_place_within_the_cases_line(
    db_session, make_case, two_lines, settings
):
    first, second = two_lines
    book_at(db_session, make_case, first, MONDAY_1030)
    moving = book_at(db_session, make_case, second, MONDAY_10)

    rebook_callback(db_session, settings, moving.case, MONDAY_1030, MONDAY_10)

    at_ten, at_half_past = MONDAY_10.astimezone(UTC), MONDAY_1030.astimezone(UTC)
    assert booked_counts(db_session) == {
        (first.id, at_half_past): 1,
        (second.id, at_ten): 0,
        (second.id, at_half_past): 1,
    }


def test_the_places_ahead_add_up_each_lines_places_and_bookings(db_session, make_case, two_lines):
    first, second = two_lines
    book_at(db_session, make_case, first, MONDAY_10)
    book_at(db_session, make_case, second, MONDAY_10)
    book_at(db_session, make_case, second, MONDAY_1030)
    calendar = line_config(db_session, first.id).calendar
    week = Period(date(2026, 11, 23), date(2026, 11, 29))

    upcoming = capacity_figures(db_session, Scope(calendar, week, MONDAY_10)).upcoming

    # 14 half-hour slots on Monday, one place each, on each line; three of them booked.
    assert (upcoming[0].day, upcoming[0].places, upcoming[0].booked) == (date(2026, 11, 23), 28, 3)


# --- migration 0019 -----------------------------------------------------------------------------

BEFORE = "0018_staff_language"
OLD_SLOTS = sa.table(
    "callback_slot",
    sa.column("slot_start", sa.DateTime()),
    sa.column("slot_end", sa.DateTime()),
    sa.column("booked", sa.Integer()),
)


@pytest.fixture(params=DATABASES)
def empty_database(request, tmp_path) -> Iterator[str]:
    with empty_database_url(request.param, tmp_path, "migration_0019_test") as url:
        yield url


def test_the_bookings_counted_before_belong_to_the_first_line(tmp_path, empty_database):
    ten, half_past = datetime(2026, 11, 23, 9, 0), datetime(2026, 11, 23, 9, 30)  # naive UTC
    app = create_app(base_env(tmp_path, empty_database))
    with app.app_context():
        # Given a deployment at 0018 with two lines and two slots' bookings counted
        upgrade()
        first = initialise_line(
            db.session,
            now=MONDAY_10,
            iterations=1000,
            data_key=bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"]),
        ).line
        texts = {**texts_of(first), "name": "Musikk"}
        second = add_line(db.session, slug="musikk", texts=texts, now=MONDAY_10)
        first_id, second_id = first.id, second.id
        db.session.commit()
        db.session.remove()
        downgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            connection.execute(
                OLD_SLOTS.insert(),
                [
                    {"slot_start": ten, "slot_end": half_past, "booked": 2},
                    {"slot_start": half_past, "slot_end": ten + timedelta(hours=1), "booked": 1},
                ],
            )

        # When it is upgraded
        upgrade()

        # Then the first line holds those bookings, and the second line books a place of its own
        after = booked_counts(db.session)
        db.session.add(
            CallbackSlot(
                line_id=second_id,
                slot_start=ten.replace(tzinfo=UTC),
                slot_end=half_past.replace(tzinfo=UTC),
                booked=1,
            )
        )
        db.session.commit()
        db.session.remove()

        # And going back adds up the lines' bookings of each slot
        downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            rows = connection.execute(select(OLD_SLOTS).order_by(OLD_SLOTS.c.slot_start)).all()
        db.engine.dispose()

    assert after == {
        (first_id, ten.replace(tzinfo=UTC)): 2,
        (first_id, half_past.replace(tzinfo=UTC)): 1,
    }
    assert first_id < second_id
    assert [(start, booked) for start, _, booked in rows] == [(ten, 3), (half_past, 1)]
