"""Opening hours and deadlines: hand-worked truth tables, then properties against a reference.

All expected values below were worked out by hand from a paper calendar. Default line:
Mon–Fri 09:00–16:00 Europe/Oslo, Norwegian public holidays, 24 and 31 December closed,
one working day = 7 opening hours.
"""

from __future__ import annotations

import calendar as paper_calendar
import functools
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisory.hours import SEARCH_HORIZON, Calendar, Hours, parse_weekly_hours
from tests.conftest import OSLO

# The line of the design: Monday to Friday 09:00-16:00 in Oslo, Norway's closing days.
DESIGN_LINE = Calendar()
H = timedelta(hours=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- callback_due: the promise made to every reporter -------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # The three examples from DESIGN.md.
        ("2026-03-03T10:00:00+01:00", "2026-03-04T10:00:00+01:00"),  # Tuesday → Wednesday
        ("2026-01-16T18:00:00+01:00", "2026-01-19T16:00:00+01:00"),  # Friday evening → Monday
        ("2026-04-01T17:00:00+02:00", "2026-04-07T16:00:00+02:00"),  # Wednesday before Easter
        # Friday afternoon: 2 h on Friday, 5 h on Monday.
        ("2026-01-16T14:00:00+01:00", "2026-01-19T14:00:00+01:00"),
        # Weekend: the whole of Monday.
        ("2026-01-17T10:00:00+01:00", "2026-01-19T16:00:00+01:00"),
        ("2026-01-18T23:59:59+01:00", "2026-01-19T16:00:00+01:00"),
        # Easter 2026 from inside hours: 4 h Wednesday 1 April, 3 h Tuesday 7 April.
        ("2026-04-01T12:00:00+02:00", "2026-04-07T12:00:00+02:00"),
        # Easter 2027 (Sunday 28 March, also the DST change): Maundy Thursday 25 March to
        # Easter Monday 29 March closed.
        ("2027-03-24T17:00:00+01:00", "2027-03-30T16:00:00+02:00"),
        # Ascension Day, Thursday 14 May 2026: 4 h Wednesday, 3 h Friday.
        ("2026-05-13T12:00:00+02:00", "2026-05-15T12:00:00+02:00"),
        # Whit Monday, 25 May 2026: 3 h Friday 22 May, 4 h Tuesday 26 May.
        ("2026-05-22T13:00:00+02:00", "2026-05-26T13:00:00+02:00"),
        # 1 May 2026 is a Friday.
        ("2026-04-30T10:00:00+02:00", "2026-05-04T10:00:00+02:00"),
        # 17 May 2028 is a Wednesday.
        ("2028-05-16T10:00:00+02:00", "2028-05-18T10:00:00+02:00"),
        # 17 May 2027 is a Monday and Whit Monday too.
        ("2027-05-14T17:00:00+02:00", "2027-05-18T16:00:00+02:00"),
        # Christmas 2026: 5 h Wednesday 23 Dec; 24 (closed day), 25, 26, 27 closed; 2 h Monday.
        ("2026-12-23T11:00:00+01:00", "2026-12-28T11:00:00+01:00"),
        # New Year: 1 h Wednesday 30 Dec; 31 Dec and 1 Jan closed; 6 h Monday 4 Jan 2027.
        ("2026-12-30T15:00:00+01:00", "2027-01-04T15:00:00+01:00"),
        # DST starts Sunday 29 March 2026: same wall-clock time, one real hour fewer (UTC input).
        ("2026-03-27T11:00:00+00:00", "2026-03-30T12:00:00+02:00"),
        # DST ends Sunday 25 October 2026: same wall-clock time, one real hour more.
        ("2026-10-23T10:00:00+02:00", "2026-10-26T10:00:00+01:00"),
        # Exact boundaries: open at 09:00:00, closed at 16:00:00.
        ("2026-03-03T09:00:00+01:00", "2026-03-03T16:00:00+01:00"),  # lands on closing time
        ("2026-03-03T08:59:59.999999+01:00", "2026-03-03T16:00:00+01:00"),
        ("2026-03-03T16:00:00+01:00", "2026-03-04T16:00:00+01:00"),
        ("2026-03-03T15:59:59.999999+01:00", "2026-03-04T15:59:59.999999+01:00"),
        # Microseconds survive.
        ("2026-03-03T10:00:00.123456+01:00", "2026-03-04T10:00:00.123456+01:00"),
        # Far-away offsets: what counts is the time in Oslo, not the sender's date.
        ("2026-01-20T00:00:00-10:00", "2026-01-21T11:00:00+01:00"),  # Tuesday 11:00 in Oslo
        ("2026-01-21T00:00:00+14:00", "2026-01-21T11:00:00+01:00"),  # Tuesday 11:00 in Oslo
        ("2026-01-17T03:00:00+14:00", "2026-01-19T14:00:00+01:00"),  # Saturday there, Friday here
        ("2026-01-15T22:00:00-10:00", "2026-01-16T16:00:00+01:00"),  # Thursday there, Friday 9:00
    ],
)
def test_callback_is_due_one_working_day_of_opening_time_later(received: str, due: str) -> None:
    result = DESIGN_LINE.callback_due(at(received))

    assert result.isoformat() == due
    assert result.tzinfo == OSLO


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-03T08:59:59.999999+01:00", False),
        ("2026-03-03T09:00:00+01:00", True),
        ("2026-03-03T15:59:59.999999+01:00", True),
        ("2026-03-03T16:00:00+01:00", False),
        ("2026-01-17T12:00:00+01:00", False),  # Saturday
        ("2028-05-17T12:00:00+02:00", False),  # Constitution Day on a Wednesday
        ("2026-12-24T12:00:00+01:00", False),  # Christmas Eve, a Thursday
        ("2026-03-30T07:00:00+00:00", True),  # 09:00 on the first Monday of summer time
        ("2026-03-30T06:59:59+00:00", False),
        ("2026-03-27T08:00:00+00:00", True),  # 09:00 on the last Friday of winter time
        ("2026-01-15T22:00:00-10:00", True),  # Thursday there, Friday 09:00 in Oslo
    ],
)
def test_line_is_open_on_working_days_from_nine_until_just_before_four(
    moment: str, expected: bool
) -> None:
    assert DESIGN_LINE.is_open(at(moment)) is expected


@pytest.mark.parametrize(
    ("moment", "opening"),
    [
        ("2026-03-03T10:00:00.5+01:00", "2026-03-03T10:00:00.500000+01:00"),  # open: itself
        ("2026-01-16T16:00:00+01:00", "2026-01-19T09:00:00+01:00"),  # Friday closing
        ("2026-04-01T17:00:00+02:00", "2026-04-07T09:00:00+02:00"),  # over Easter
        ("2026-12-23T16:00:00+01:00", "2026-12-28T09:00:00+01:00"),  # over Christmas
        ("2026-03-03T06:00:00+00:00", "2026-03-03T09:00:00+01:00"),  # UTC in, Oslo out
    ],
)
def test_next_opening_is_now_when_open_else_the_next_nine_oclock(moment: str, opening: str) -> None:
    assert DESIGN_LINE.next_opening(at(moment)).isoformat() == opening


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-03-03T10:00:00+01:00", "2026-03-03T12:00:00+01:00", 2 * H),
        ("2026-03-03T12:00:00+01:00", "2026-03-03T10:00:00+01:00", timedelta(0)),
        ("2026-03-03T12:00:00+01:00", "2026-03-03T12:00:00+01:00", timedelta(0)),
        ("2026-01-16T15:00:00+01:00", "2026-01-19T10:00:00+01:00", 2 * H),  # over a weekend
        ("2026-01-19T00:00:00+01:00", "2026-01-26T00:00:00+01:00", 35 * H),  # a plain week
        ("2026-03-30T00:00:00+02:00", "2026-04-06T00:00:00+02:00", 21 * H),  # Easter week
        ("2026-03-03T16:00:00+01:00", "2026-03-04T09:00:00+01:00", timedelta(0)),
        (
            "2026-03-03T15:59:59.999999+01:00",
            "2026-03-03T16:00:00.500000+01:00",
            timedelta(microseconds=1),
        ),
        # Over the spring DST change: 66 wall-clock hours, 65 real ones, 2 opening hours.
        ("2026-03-27T15:00:00+01:00", "2026-03-30T10:00:00+02:00", 2 * H),
        ("2026-01-20T08:00:00+00:00", "2026-01-20T15:00:00+00:00", 7 * H),  # UTC in
        # All of 2026: 261 weekdays, less 8 weekday holidays (1 Jan, 2, 3, 6 Apr, 1, 14, 25 May,
        # 25 Dec) and 24 and 31 Dec, is 251 days of 7 h.
        ("2026-01-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00", 1757 * H),
    ],
)
def test_opening_time_between_counts_only_opening_hours(
    start: str, end: str, expected: timedelta
) -> None:
    assert DESIGN_LINE.opening_time_between(at(start), at(end)) == expected


NAIVE = datetime(2026, 3, 3, 10, 0)
AWARE = datetime(2026, 3, 3, 10, 0, tzinfo=OSLO)


@pytest.mark.parametrize(
    "call",
    [
        lambda: DESIGN_LINE.is_open(NAIVE),
        lambda: DESIGN_LINE.next_opening(NAIVE),
        lambda: DESIGN_LINE.add_opening_time(NAIVE, H),
        lambda: DESIGN_LINE.callback_due(NAIVE),
        lambda: DESIGN_LINE.opening_time_between(NAIVE, AWARE),
        lambda: DESIGN_LINE.opening_time_between(AWARE, NAIVE),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        call()


def test_adding_no_time_returns_the_same_instant_even_when_closed() -> None:
    saturday = at("2026-01-17T10:00:00+01:00")

    assert DESIGN_LINE.add_opening_time(saturday, timedelta(0)) == saturday


def test_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        DESIGN_LINE.add_opening_time(AWARE, -H)


def test_open_intervals_follow_the_wall_clock_across_dst() -> None:
    winter = Calendar().open_intervals(date(2026, 3, 27))
    summer = Calendar().open_intervals(date(2026, 3, 30))

    assert [(s.isoformat(), e.isoformat()) for s, e in winter + summer] == [
        ("2026-03-27T09:00:00+01:00", "2026-03-27T16:00:00+01:00"),
        ("2026-03-30T09:00:00+02:00", "2026-03-30T16:00:00+02:00"),
    ]
    assert Calendar().open_intervals(date(2026, 4, 6)) == []  # Easter Monday


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 22), 3 * H),  # an ordinary Sunday
        (date(2026, 3, 29), 2 * H),  # clocks go forward 02:00 → 03:00
        (date(2026, 10, 25), 4 * H),  # clocks go back 03:00 → 02:00
    ],
)
def test_night_hours_on_dst_days_count_real_time_not_wall_time(
    day: date, expected: timedelta
) -> None:
    night_line = Calendar(weekly_hours={6: ((time(1), time(4)),)}, holiday_country=None)
    midnight = datetime.combine(day, time(0), OSLO)

    assert night_line.opening_time_between(midnight, midnight + 24 * H) == expected


# --- other countries ------------------------------------------------------------------------------


def test_denmark_works_on_first_of_may() -> None:
    # 1 May is no Danish public holiday, and Great Prayer Day (which would have fallen on
    # 1 May 2026) was abolished from 2024; Norway closes that day.
    danish = Calendar(holiday_country="DK")
    thursday_evening = at("2026-04-30T17:00:00+02:00")

    assert danish.callback_due(thursday_evening).isoformat() == "2026-05-01T16:00:00+02:00"
    assert Calendar().callback_due(thursday_evening).isoformat() == "2026-05-04T16:00:00+02:00"


SWEDISH = Calendar(holiday_country="SE")


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Midsummer Eve (Fri 19 June 2026) and Midsummer Day (Sat 20) closed.
        ("2026-06-18T17:00:00+02:00", "2026-06-22T16:00:00+02:00"),
        # Christmas Eve (Thu 24 Dec) and Christmas Day closed.
        ("2026-12-23T17:00:00+01:00", "2026-12-28T16:00:00+01:00"),
        # New Year's Eve (Thu 31 Dec) and New Year's Day closed.
        ("2026-12-30T17:00:00+01:00", "2027-01-04T16:00:00+01:00"),
        # Whit Sunday is listed as a holiday but changes nothing; Whit Monday is a working day
        # in Sweden (since 2005), unlike in Norway.
        ("2026-05-22T18:00:00+02:00", "2026-05-25T16:00:00+02:00"),
    ],
)
def test_sweden_closes_on_its_de_facto_days_off(received: str, due: str) -> None:
    assert SWEDISH.callback_due(at(received)).isoformat() == due


def test_swedish_holiday_names_come_in_swedish() -> None:
    assert SWEDISH.holiday_name(date(2026, 6, 19)) == "Midsommarafton"


def test_sundays_listed_as_holidays_change_no_swedish_deadline() -> None:
    # Closing every Sunday explicitly, as a holidays listing of all Sundays would, must give
    # the same deadlines all year round.
    sundays = tuple(date(2026, 1, 4) + timedelta(weeks=n) for n in range(53))
    with_sundays_closed = Calendar(holiday_country="SE", closed_dates=sundays)
    received = [datetime(2026, 1, 1, tzinfo=OSLO) + n * 5 * H for n in range(365 * 24 // 5)]

    assert [with_sundays_closed.callback_due(r) for r in received] == [
        Calendar(holiday_country="SE").callback_due(r) for r in received
    ]


def test_an_ordinary_sunday_stays_open_in_sweden_when_the_line_opens_on_sundays() -> None:
    sunday_line = Calendar(holiday_country="SE", weekly_hours={6: ((time(10), time(14)),)})

    assert sunday_line.is_open(at("2026-06-14T12:00:00+02:00"))
    assert not sunday_line.is_open(at("2026-05-24T12:00:00+02:00"))  # Whit Sunday


# --- configuration: exceptions, closed dates, other hours -----------------------------------------


@pytest.mark.parametrize(
    ("line", "received", "due"),
    [
        # Open 09:00–12:00 on Christmas Eve by exception: 5 h Wednesday + 2 h Thursday.
        (
            Calendar(exceptions={date(2026, 12, 24): ((time(9), time(12)),)}),
            "2026-12-23T11:00:00+01:00",
            "2026-12-24T11:00:00+01:00",
        ),
        # Closed all Wednesday by exception.
        (
            Calendar(exceptions={date(2026, 3, 4): ()}),
            "2026-03-03T10:00:00+01:00",
            "2026-03-05T10:00:00+01:00",
        ),
        # A short Wednesday, 12:00–14:00: 6 h Tuesday + 1 h Wednesday.
        (
            Calendar(exceptions={date(2026, 3, 4): ((time(12), time(14)),)}),
            "2026-03-03T10:00:00+01:00",
            "2026-03-04T13:00:00+01:00",
        ),
        # Open on a Saturday 10:00–14:00: 4 h Saturday + 3 h Monday.
        (
            Calendar(exceptions={date(2026, 1, 17): ((time(10), time(14)),)}),
            "2026-01-16T18:00:00+01:00",
            "2026-01-19T12:00:00+01:00",
        ),
        # A closed date.
        (
            Calendar(closed_dates=(date(2026, 3, 4),)),
            "2026-03-03T10:00:00+01:00",
            "2026-03-05T10:00:00+01:00",
        ),
        # Without a holiday country, Christmas Eve is a working day.
        (
            Calendar(holiday_country=None),
            "2026-12-23T11:00:00+01:00",
            "2026-12-24T11:00:00+01:00",
        ),
        # No holidays: Maundy Thursday is a working day.
        (
            Calendar(holiday_country=None),
            "2026-04-01T17:00:00+02:00",
            "2026-04-02T16:00:00+02:00",
        ),
        # A shorter working day.
        (
            Calendar(working_day=2 * H),
            "2026-03-03T15:00:00+01:00",
            "2026-03-04T10:00:00+01:00",
        ),
        # A lunch break: 08:00–11:30 and 12:00–15:30, so a working day is 7 h.
        (
            Calendar(weekly_hours=parse_weekly_hours({"tue": "08:00-11:30, 12:00-15:30"})),
            "2026-03-03T11:00:00+01:00",
            "2026-03-10T11:00:00+01:00",
        ),
    ],
)
def test_configured_calendars_move_the_deadline(line: Calendar, received: str, due: str) -> None:
    assert line.callback_due(at(received)).isoformat() == due


def test_weekly_hours_from_config_read_like_the_default() -> None:
    weekdays = {day: "09:00-16:00" for day in ("mon", "tue", "wed", "thu", "fri")}

    assert Calendar(weekly_hours=parse_weekly_hours({**weekdays, "sat": ""})) == Calendar()


def test_weekly_hours_parse_intervals_and_closed_days() -> None:
    assert parse_weekly_hours(
        {"Mon": " 08:00-11:30, 12:00 - 16:00 ", "sat": "", "sun": "closed"}
    ) == {
        0: ((time(8), time(11, 30)), (time(12), time(16))),
        5: (),
        6: (),
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"monday": "09:00-16:00"}, "unknown weekday 'monday'"),
        ({"mon": "9-16"}, "for mon: '9-16' is not HH:MM-HH:MM"),
        ({"mon": "16:00-09:00"}, "16:00 is not before 09:00"),
        ({"mon": "09:00-12:00, 11:00-16:00"}, "overlap"),
        ({"mon": "25:00-26:00"}, "hour must be in"),
    ],
)
def test_bad_weekly_hours_are_refused_with_a_clear_message(
    spec: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_weekly_hours(spec)


@pytest.mark.parametrize(
    ("settings_", "message"),
    [
        ({"weekly_hours": {}}, "never open"),
        ({"weekly_hours": {5: ()}}, "never open"),
        ({"weekly_hours": {7: ((time(9), time(16)),)}}, "weekday 7"),
        ({"timezone": "Europe/Atlantis"}, "unknown time zone"),
        ({"holiday_country": "XX"}, "not supported"),
        ({"closed_days": ((2, 30),)}, r"\(2, 30\) is no day"),
        ({"working_day": timedelta(0)}, "longer than zero"),
        ({"exceptions": {date(2026, 1, 1): ((time(12), time(9)),)}}, "for 2026-01-01"),
    ],
)
def test_bad_calendars_are_refused_at_start(settings_: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar(**settings_)  # type: ignore[arg-type]


def test_a_calendar_closed_for_years_gives_up_instead_of_looping() -> None:
    every_day = tuple(
        (month, day)
        for month in range(1, 13)
        for day in range(1, paper_calendar.monthrange(2000, month)[1] + 1)
    )
    always_closed = Calendar(closed_days=every_day)

    with pytest.raises(ValueError, match="no opening time"):
        always_closed.callback_due(AWARE)
    with pytest.raises(ValueError, match="no opening time"):
        always_closed.next_opening(AWARE)


def test_more_opening_time_than_the_search_horizon_can_still_be_added() -> None:
    # Three years and more of opening time walks past the horizon, which only bounds closure.
    line = Calendar()
    start = datetime(2025, 12, 1, tzinfo=UTC)
    end = start + SEARCH_HORIZON + timedelta(days=10)
    elapsed = line.opening_time_between(start, end)

    reached = line.add_opening_time(start, elapsed)

    assert line.opening_time_between(start, reached) == elapsed
    assert reached <= end


def test_holiday_names_come_from_the_holidays_package() -> None:
    assert Calendar().holiday_name(date(2026, 5, 17)) == "Grunnlovsdag"
    assert Calendar(holiday_language="en_US").holiday_name(date(2026, 5, 17)) == "Constitution Day"
    assert Calendar().holiday_name(date(2026, 3, 3)) is None
    assert Calendar(holiday_country=None).holiday_name(date(2026, 5, 17)) is None


# --- properties against a slow, obviously-correct reference ---------------------------------------
#
# The reference never turns wall-clock hours into instants. It walks instants minute by minute,
# asks what the clock on the wall in Oslo says, and looks that up in the calendar's raw config.
# Generated hours stay between 04:00 and 24:00, away from the hour the clocks change.

REFERENCE_CATEGORIES = {"SE": ("public", "de_facto")}
# Christmas Eve and New Year's Eve, which offices close though the package has them under no
# closing category (tests/test_closing_days.py holds the whole tables).
REFERENCE_EVES = {"NO": ((12, 24), (12, 31)), "DK": ((12, 24), (12, 31))}
MINUTE = timedelta(minutes=1)


@functools.cache
def reference_holidays(country: str, year: int) -> frozenset[date]:
    categories = REFERENCE_CATEGORIES.get(country, ("public",))
    eves = {date(year, month, day) for month, day in REFERENCE_EVES.get(country, ())}
    return frozenset(holidays.country_holidays(country, years=year, categories=categories)) | eves


def reference_hours(line: Calendar, day: date) -> Hours:
    if day in line.exceptions:
        return line.exceptions[day]
    if (day.month, day.day) in line.closed_days or day in line.closed_dates:
        return ()
    if line.holiday_country and day in reference_holidays(line.holiday_country, day.year):
        return ()
    return line.weekly_hours.get(day.weekday(), ())


def reference_is_open(line: Calendar, instant: datetime) -> bool:
    wall = instant.astimezone(ZoneInfo(line.timezone))
    return any(start <= wall.time() < end for start, end in reference_hours(line, wall.date()))


def reference_minutes_between(line: Calendar, start: datetime, end: datetime) -> int:
    minutes, instant = 0, start
    while instant < end:
        minutes += reference_is_open(line, instant)
        instant += MINUTE
    return minutes


def reference_add(line: Calendar, start: datetime, minutes: int) -> datetime:
    instant = start
    while True:
        if reference_is_open(line, instant):
            minutes -= 1
            if minutes == 0:
                return instant + MINUTE
        instant += MINUTE


def minute_of_day(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def weekly_intervals(line: Calendar) -> list[tuple[time, time]]:
    return [interval for day in line.weekly_hours.values() for interval in day]


PROPERTY = settings(max_examples=150, deadline=None, database=None)

ZONES = st.sampled_from(
    [
        UTC,
        OSLO,
        ZoneInfo("Pacific/Honolulu"),
        ZoneInfo("Pacific/Kiritimati"),
        timezone(timedelta(hours=-10)),
        timezone(timedelta(hours=14)),
    ]
)
instants = st.datetimes(
    min_value=datetime(2025, 12, 1),
    max_value=datetime(2028, 12, 31),
    timezones=ZONES,
    allow_imaginary=False,
)
whole_minutes = instants.map(lambda moment: moment.replace(second=0, microsecond=0))
days = st.dates(min_value=date(2025, 12, 1), max_value=date(2028, 12, 31))


@st.composite
def day_hours(draw: st.DrawFn) -> Hours:
    quarters = sorted(draw(st.sets(st.integers(4 * 4, 24 * 4 - 1), max_size=4)))
    points = [time(q // 4, q % 4 * 15) for q in quarters]
    return tuple(zip(points[0::2], points[1::2], strict=False))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    weekly = draw(
        st.dictionaries(st.integers(0, 6), day_hours(), max_size=7).filter(
            lambda week: any(week.values())
        )
    )
    return Calendar(
        weekly_hours=weekly,
        holiday_country=draw(st.sampled_from(["NO", "SE", "DK", None])),
        closed_days=draw(st.sampled_from([(), ((12, 24), (12, 31))])),
        closed_dates=tuple(draw(st.lists(days, max_size=3))),
        exceptions=draw(st.dictionaries(days, day_hours(), max_size=3)),
    )


any_calendar = st.one_of(st.just(Calendar()), calendars())


@PROPERTY
@given(line=any_calendar, start=whole_minutes, span=st.integers(0, 4 * 24 * 60))
def test_opening_time_between_agrees_with_the_reference(
    line: Calendar, start: datetime, span: int
) -> None:
    end = start + span * MINUTE

    assert (
        line.opening_time_between(start, end)
        == reference_minutes_between(line, start, end) * MINUTE
    )


@PROPERTY
@given(line=any_calendar, start=whole_minutes, data=st.data())
def test_add_opening_time_agrees_with_the_reference(
    line: Calendar, start: datetime, data: st.DataObject
) -> None:
    # Up to a week's worth of opening time, so the reference's walk stays short.
    week = sum(minute_of_day(end) - minute_of_day(start) for start, end in weekly_intervals(line))
    minutes = data.draw(st.integers(1, week))

    assert line.add_opening_time(start, minutes * MINUTE) == reference_add(line, start, minutes)


@PROPERTY
@given(line=any_calendar, start=instants, end=instants)
def test_adding_the_opening_time_between_two_instants_reaches_the_end(
    line: Calendar, start: datetime, end: datetime
) -> None:
    elapsed = line.opening_time_between(start, end)
    reached = line.add_opening_time(start, elapsed)

    assert line.opening_time_between(start, reached) == elapsed
    assert reached <= max(start, end)
    # Landing early is only possible when the end lies in closed time.
    if reached < end:
        assert line.opening_time_between(reached, end) == timedelta(0)


@PROPERTY
@given(line=any_calendar, start=instants, duration=st.timedeltas(timedelta(0), 30 * H))
def test_opening_time_between_undoes_add_opening_time(
    line: Calendar, start: datetime, duration: timedelta
) -> None:
    assert line.opening_time_between(start, line.add_opening_time(start, duration)) == duration


@PROPERTY
@given(line=any_calendar, received=instants)
def test_callback_is_due_after_receipt_inside_or_at_the_end_of_an_opening_interval(
    line: Calendar, received: datetime
) -> None:
    due = line.callback_due(received)

    assert due.tzinfo == ZoneInfo(line.timezone)
    assert due - received >= line.working_day_length
    assert any(start < due <= end for start, end in line.open_intervals(due.date()))


@PROPERTY
@given(line=any_calendar, moment=instants)
def test_next_opening_is_open_and_nothing_opens_before_it(line: Calendar, moment: datetime) -> None:
    opening = line.next_opening(moment)

    assert line.is_open(opening)
    assert line.opening_time_between(moment, opening) == timedelta(0)


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        # 23:30 UTC is already the next day in Oslo, in winter (+1) and in summer (+2)
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), date(2026, 11, 23)),
        (datetime(2026, 6, 30, 22, 30, tzinfo=UTC), date(2026, 7, 1)),
        (datetime(2026, 6, 30, 21, 59, tzinfo=UTC), date(2026, 6, 30)),
        # The night the clocks go forward: 01:30 UTC is 03:30 in Oslo, the same day
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), date(2026, 3, 29)),
    ],
)
def test_local_date_is_the_lines_calendar_day(instant, day):
    assert Calendar().local_date(instant) == day
