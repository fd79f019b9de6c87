"""Callback slots are cut from opening hours, with the roster's capacity (pure)."""

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisory.hours import Calendar
from advisory.slots import DutyRoster, parse_roster, slots_between
from tests.conftest import OSLO

HALF_HOUR = timedelta(minutes=30)
CALENDAR = Calendar()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)


def test_an_ordinary_day_has_fourteen_half_hour_slots_from_nine():
    slots = list(
        slots_between(CALENDAR, DutyRoster(), HALF_HOUR, local(2026, 11, 23), local(2026, 11, 24))
    )
    assert [slot.start.time() for slot in slots][:3] == [time(9), time(9, 30), time(10)]
    assert slots[-1].start == local(2026, 11, 23, 15, 30)
    assert slots[-1].end == local(2026, 11, 23, 16)  # ends exactly at closing time
    assert len(slots) == 14
    assert {slot.capacity for slot in slots} == {2}


@pytest.mark.parametrize(
    ("start", "end", "first", "count"),
    [
        # A slot already running is not offered: 10:10 → first slot 10:30.
        (local(2026, 11, 23, 10, 10), local(2026, 11, 23, 12), local(2026, 11, 23, 10, 30), 3),
        # Friday evening → Monday morning: the weekend has no slots.
        (local(2026, 11, 27, 18), local(2026, 11, 30, 10), local(2026, 11, 30, 9), 2),
        # 17 May 2027 is a Monday holiday: next slot Tuesday 09:00.
        (local(2027, 5, 17, 8), local(2027, 5, 18, 9, 30), local(2027, 5, 18, 9), 1),
        # Sunday 29 March 2026, clocks go forward; Monday's slots are still at 09:00 local.
        (local(2026, 3, 28), local(2026, 3, 30, 10), local(2026, 3, 30, 9), 2),
        # A slot must end by `end`: until 09:45 only the 09:00 slot fits.
        (local(2026, 11, 23, 8), local(2026, 11, 23, 9, 45), local(2026, 11, 23, 9), 1),
    ],
)
def test_slots_respect_opening_hours_holidays_and_bounds(start, end, first, count):
    slots = list(slots_between(CALENDAR, DutyRoster(), HALF_HOUR, start, end))
    assert slots[0].start == first
    assert len(slots) == count


def test_inputs_in_utc_give_slots_in_the_line_time_zone():
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 in Oslo
    slots = list(slots_between(CALENDAR, DutyRoster(), HALF_HOUR, start, start + HALF_HOUR))
    assert len(slots) == 1
    assert slots[0].start == local(2026, 11, 23, 9)
    assert slots[0].start.utcoffset() == timedelta(hours=1)


def test_roster_sets_capacity_per_weekday_and_time_and_zero_means_no_slot():
    roster = parse_roster({"mon": "09:00-10:00*3, 15:00-16:00*0"}, default_capacity=2)
    slots = list(
        slots_between(CALENDAR, roster, HALF_HOUR, local(2026, 11, 23), local(2026, 11, 24))
    )
    capacity = {slot.start.time(): slot.capacity for slot in slots}
    assert capacity[time(9)] == capacity[time(9, 30)] == 3
    assert capacity[time(10)] == 2
    assert time(15) not in capacity
    assert time(15, 30) not in capacity


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"funday": "09:00-10:00*1"}, "unknown weekday"),
        ({"mon": "09:00-10:00"}, "expected HH:MM-HH:MM"),
        ({"mon": "10:00-09:00*1"}, "ends before it starts"),
        ({"mon": "25:00-26:00*1"}, "not a time of day"),
    ],
)
def test_bad_roster_entries_are_refused_with_a_reason(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_roster(spec, default_capacity=2)


def test_naive_bounds_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        list(
            slots_between(
                CALENDAR, DutyRoster(), HALF_HOUR, datetime(2026, 1, 5), local(2026, 1, 6)
            )
        )


def _every_slot(calendar: Calendar, length: timedelta, start: datetime, end: datetime):
    """The definition, spelt out: every slot cut from each interval's opening, kept when it
    starts at/after `start` and ends by `end`."""
    day = start.astimezone(OSLO).date() - timedelta(days=1)
    while day <= end.astimezone(OSLO).date():
        for open_at, close_at in calendar.open_intervals(day):
            at = open_at
            while at + length <= close_at:
                if at >= start and at + length <= end:
                    yield at, at + length
                at += length
        day += timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(datetime(2026, 3, 20), datetime(2026, 11, 10), timezones=st.just(OSLO)),
    span_minutes=st.integers(0, 60 * 24 * 9),
    length_minutes=st.sampled_from([15, 20, 30, 45, 50, 90]),
)
def test_slots_are_exactly_the_cut_slots_within_the_bounds(start, span_minutes, length_minutes):
    length = timedelta(minutes=length_minutes)
    end = start + timedelta(minutes=span_minutes)
    found = [
        (slot.start, slot.end) for slot in slots_between(CALENDAR, DutyRoster(), length, start, end)
    ]
    assert found == list(_every_slot(CALENDAR, length, start, end))
