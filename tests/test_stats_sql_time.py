"""Time arithmetic in SQL (advisory/sql_time.py) agrees with Python and the calendar, on both
databases: epoch seconds, the local day across DST changes, opening time between instants."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Date, literal, select

from advisory.hours import Calendar
from advisory.sql_time import (
    LocalDays,
    OpeningClock,
    day_number,
    epoch_seconds,
    from_day_number,
    to_day_number,
    to_epoch,
)
from advisory.timestamps import UTCDateTime
from tests.conftest import OSLO

CALENDAR = Calendar()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def oslo(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=OSLO, fold=fold)


def sql_epoch(db_session, at: datetime) -> int:
    return db_session.scalar(select(epoch_seconds(literal(at, UTCDateTime()))))


@pytest.mark.parametrize(
    "at",
    [
        utc(2026, 11, 23, 9, 0),
        utc(2026, 11, 23, 9, 0, 59, 999_999),  # the fraction is dropped, never rounded up
        utc(2030, 12, 31, 23, 59, 59, 500_000),
        utc(1999, 1, 1),
    ],
    ids=str,
)
def test_epoch_seconds_are_whole_seconds_with_the_fraction_dropped(db_session, at):
    assert sql_epoch(db_session, at) == to_epoch(at) == int(at.replace(microsecond=0).timestamp())


@pytest.mark.parametrize("day", [date(1970, 1, 1), date(2026, 2, 28), date(2028, 2, 29)], ids=str)
def test_day_number_of_a_date_column_counts_days_since_1970(db_session, day):
    number = db_session.scalar(select(day_number(literal(day, Date()))))

    assert number == to_day_number(day) == (day - date(1970, 1, 1)).days
    assert from_day_number(number) == day


@pytest.mark.parametrize(
    "at",
    [
        oslo(2026, 3, 28, 23, 59, 59),  # the night summer time begins (02:00 → 03:00)
        oslo(2026, 3, 29, 0, 0),
        oslo(2026, 3, 29, 1, 59, 59),
        oslo(2026, 3, 29, 3, 0),
        oslo(2026, 3, 29, 23, 59, 59),
        oslo(2026, 3, 30, 0, 0),
        oslo(2026, 10, 25, 0, 0),  # the night it ends (03:00 → 02:00), both 02:30s
        oslo(2026, 10, 25, 2, 30, fold=0),
        oslo(2026, 10, 25, 2, 30, fold=1),
        oslo(2026, 10, 25, 23, 59, 59),
        oslo(2026, 10, 26, 0, 0),
        oslo(2026, 12, 31, 23, 59, 59),
        oslo(2027, 1, 1, 0, 0),
    ],
    ids=lambda at: at.isoformat(),
)
def test_the_local_day_of_an_instant_is_right_on_both_sides_of_dst_changes(db_session, at):
    days = LocalDays.between("Europe/Oslo", utc(2026, 1, 1), utc(2027, 1, 2))
    stored = literal(at, UTCDateTime())

    number = db_session.scalar(select(days.day(epoch_seconds(stored))))

    assert from_day_number(number) == at.astimezone(OSLO).date()


def test_local_days_find_each_offset_change_to_the_second():
    days = LocalDays.between("Europe/Oslo", utc(2026, 1, 1), utc(2026, 12, 31))

    assert days.offsets == (
        (to_epoch(utc(2025, 12, 31)), 3600),
        (to_epoch(utc(2026, 3, 29, 1)), 7200),
        (to_epoch(utc(2026, 10, 25, 1)), 3600),
    )


def _pairs() -> list[tuple[datetime, datetime]]:
    rng = random.Random(6)
    start = utc(2026, 3, 1)
    pairs = [
        (oslo(2026, 4, 1, 17, 0), oslo(2026, 4, 7, 16, 0)),  # Easter, from Wednesday evening
        (oslo(2026, 3, 27, 15, 0), oslo(2026, 3, 30, 9, 30)),  # a weekend with the DST change
        (oslo(2026, 11, 20, 18, 0), oslo(2026, 11, 23, 16, 0)),  # Friday evening → Monday
        (oslo(2026, 11, 24, 10, 0), oslo(2026, 11, 24, 10, 0)),  # no time at all
        (oslo(2026, 11, 24, 10, 0), oslo(2026, 11, 24, 9, 0)),  # end before start: zero
        (oslo(2026, 12, 23, 15, 59, 59), oslo(2026, 12, 28, 9, 0, 1)),  # Christmas
    ]
    for _ in range(30):
        first = start + timedelta(seconds=rng.randrange(300 * 86_400))
        pairs.append((first, first + timedelta(seconds=rng.randrange(12 * 86_400))))
    return pairs


def opening_in_sql(db_session, calendar, pairs, first_day, last_day) -> list[int]:
    zone = calendar.timezone
    days = LocalDays.between(
        zone, datetime.combine(first_day, time(0), UTC), datetime.combine(last_day, time(0), UTC)
    )
    table = OpeningClock(calendar, first_day, last_day).table(db_session.get_bind().dialect.name)
    start_row, end_row = table.alias("start_row"), table.alias("end_row")
    results = []
    for start, end in pairs:
        start_epoch = epoch_seconds(literal(start, UTCDateTime()))
        end_epoch = epoch_seconds(literal(end, UTCDateTime()))
        query = (
            select(
                OpeningClock.seconds_before(end_row, end_epoch)
                - OpeningClock.seconds_before(start_row, start_epoch)
            )
            .select_from(start_row)
            .join(end_row, end_row.c.d == days.day(end_epoch))
            .where(start_row.c.d == days.day(start_epoch))
        )
        # A negative difference (end before start) is clamped where it is used, as here.
        results.append(max(0, db_session.scalar(query)))
    return results


def test_opening_time_between_two_instants_in_sql_is_the_calendars(db_session):
    pairs = _pairs()

    results = opening_in_sql(db_session, CALENDAR, pairs, date(2026, 2, 1), date(2027, 2, 1))

    expected = [
        int(CALENDAR.opening_time_between(start, end).total_seconds()) for start, end in pairs
    ]
    assert results == expected
    assert expected[0] == 7 * 3600  # Easter: the whole of Tuesday, nothing before
    assert expected[2] == 7 * 3600  # the weekend counts for nothing
    assert expected[4] == 0


def test_a_day_with_a_lunch_break_counts_both_intervals(db_session):
    calendar = Calendar(weekly_hours={0: ((time(9), time(11)), (time(12), time(16)))})
    pairs = [
        (oslo(2026, 11, 23, 10, 0), oslo(2026, 11, 23, 12, 30)),  # 1 h + 30 min
        (oslo(2026, 11, 23, 11, 15), oslo(2026, 11, 23, 11, 45)),  # all of it in the break
        (oslo(2026, 11, 23, 8, 0), oslo(2026, 11, 30, 8, 0)),  # one whole Monday
    ]

    results = opening_in_sql(db_session, calendar, pairs, date(2026, 11, 20), date(2026, 12, 2))

    assert results == [90 * 60, 0, 6 * 3600]
