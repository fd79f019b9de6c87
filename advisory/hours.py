"""Opening hours, holidays and deadlines of a line's calendar (pure: no Flask, no clock).

Every deadline in the system comes from a line's `Calendar` (DESIGN.md, "Opening hours and
deadlines"); there is no default one.
Opening hours are wall-clock times in the line's time zone; we turn them into instants with
zoneinfo for each calendar day, so daylight saving time is the calendar's business and we never
add hours to a local time. All arithmetic happens on UTC instants: Python compares and subtracts
two datetimes that share a tzinfo by their wall-clock fields, which is wrong across a DST change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from advisory.closing_days import closing_days, supported_country

Hours = tuple[tuple[time, time], ...]
"""Open intervals of one day as half-open (start, end) wall-clock times, in order."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Refuse to look further ahead than this for opening time: a calendar closed for three years is
# a configuration error, not a deadline.
SEARCH_HORIZON = timedelta(days=3 * 366)

# ASCII: Python's \d also matches other scripts' digits, which int() then reads as well.
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", re.ASCII)


def _default_weekly_hours() -> Mapping[int, Hours]:
    return MappingProxyType({day: ((time(9), time(16)),) for day in range(5)})


@dataclass(frozen=True)
class Calendar:
    """When the line is open, and how opening time adds up."""

    timezone: str = "Europe/Oslo"
    weekly_hours: Mapping[int, Hours] = field(default_factory=_default_weekly_hours)
    holiday_country: str | None = "NO"
    # Days closed every year beyond the country's own closing days (`closing_days`), which
    # already hold the de facto ones such as Christmas Eve.
    closed_days: tuple[tuple[int, int], ...] = ()
    closed_dates: tuple[date, ...] = ()
    exceptions: Mapping[date, Hours] = field(default_factory=dict)
    working_day: timedelta | None = None
    # None: holiday names in the country's own language, not whatever the server locale says.
    holiday_language: str | None = None
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Fail at start-up, naming the setting, rather than at the first deadline.
        try:
            object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        for weekday, hours in self.weekly_hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekly hours: weekday {weekday!r} is not 0 (Monday) to 6")
            _check_hours(WEEKDAYS[weekday], hours)
        for day, hours in self.exceptions.items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"exceptions: {day!r} is not a date")
            _check_hours(day.isoformat(), hours)
        for month, day_of_month in self.closed_days:
            try:
                date(2000, month, day_of_month)  # a leap year, so 29 February is allowed
            except ValueError as exc:
                raise ValueError(f"closed days: ({month}, {day_of_month}) is no day") from exc
        if self.holiday_country is not None and not supported_country(self.holiday_country):
            raise ValueError(f"holiday country {self.holiday_country!r} is not supported")
        if self.working_day is not None and self.working_day <= timedelta(0):
            raise ValueError("working day must be longer than zero")

        # Frozen means frozen: copy the mappings so a caller's dict cannot change us later.
        # Closed weekdays are left out, so equal hours make equal calendars.
        weekly = {weekday: hours for weekday, hours in self.weekly_hours.items() if hours}
        if not weekly:
            raise ValueError("weekly hours: the line is never open, so no deadline can be met")
        object.__setattr__(self, "weekly_hours", MappingProxyType(weekly))
        object.__setattr__(self, "exceptions", MappingProxyType(dict(self.exceptions)))

    @property
    def working_day_length(self) -> timedelta:
        """The opening time of one regular day: `working_day`, or the longest weekly day."""
        if self.working_day is not None:
            return self.working_day
        return max(_length(hours) for hours in self.weekly_hours.values())

    def holiday_name(self, day: date, language: str | None = None) -> str | None:
        """The name of the holiday on `day` that closes the line (bar an exception), if any,
        in `language` (a `holidays` language code; default the calendar's own)."""
        if self.holiday_country is None:
            return None
        table = closing_days(self.holiday_country, day.year, language or self.holiday_language)
        return table.get(day)

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of local calendar day `day`, aware in the line's time zone."""
        return [
            (start.astimezone(self._zone), end.astimezone(self._zone))
            for start, end in self._utc_intervals(day)
        ]

    def local_date(self, at: datetime) -> date:
        """The line's calendar day at instant `at` (aware)."""
        return _to_utc(at).astimezone(self._zone).date()

    def is_open(self, at: datetime) -> bool:
        at = _to_utc(at)
        return any(start <= at < end for start, end in self._utc_intervals(self.local_date(at)))

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself if the line is open then, else the moment it next opens."""
        at = _to_utc(at)
        start, _ = next(self._intervals_from(at))
        return max(start, at).astimezone(self._zone)

    def add_opening_time(self, at: datetime, duration: timedelta) -> datetime:
        """The first instant by which `duration` of opening time has passed since `at`.

        A result that lands on a closing time stays there rather than moving to the next opening.
        """
        at = _to_utc(at)
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        if not duration:
            return at.astimezone(self._zone)
        remaining = duration
        for start, end in self._intervals_from(at):
            start = max(start, at)
            if remaining <= end - start:
                return (start + remaining).astimezone(self._zone)
            remaining -= end - start
        raise AssertionError("unreachable: _intervals_from raises at the search horizon")

    def callback_due(self, received_at: datetime) -> datetime:
        """The promised callback deadline: one working day of opening time after receipt."""
        return self.add_opening_time(received_at, self.working_day_length)

    def opening_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The opening time inside [start, end); zero when `end` is not after `start`."""
        start, end = _to_utc(start), _to_utc(end)
        total = timedelta(0)
        day = start.astimezone(self._zone).date()
        last_day = end.astimezone(self._zone).date()
        while day <= last_day:
            for open_at, close_at in self._utc_intervals(day):
                overlap = min(close_at, end) - max(open_at, start)
                total += max(overlap, timedelta(0))
            day += timedelta(days=1)
        return total

    def _hours(self, day: date) -> Hours:
        # A dated exception is the most specific rule, so it wins even over a holiday.
        if day in self.exceptions:
            return self.exceptions[day]
        if (
            (day.month, day.day) in self.closed_days
            or day in self.closed_dates
            or self.holiday_name(day) is not None
        ):
            return ()
        return self.weekly_hours.get(day.weekday(), ())

    def _utc_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        intervals: list[tuple[datetime, datetime]] = []
        for opens, closes in self._hours(day):
            # zoneinfo reads a wall time the standard way (fold=0): an ambiguous time is its
            # first occurrence, a skipped one is read with the offset from before the change.
            start = datetime.combine(day, opens, self._zone).astimezone(UTC)
            end = datetime.combine(day, closes, self._zone).astimezone(UTC)
            # A skipped time can land after the next wall time; clip so intervals never overlap.
            if intervals:
                start = max(start, intervals[-1][1])
            if start < end:
                intervals.append((start, end))
        return intervals

    def _intervals_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """UTC open intervals that end after `at`, in order, for as long as they are asked for.

        Only a stretch of the search horizon without any opening time ends the search: adding
        years of opening time must walk years of days, a calendar closed for years must not.
        """
        day = at.astimezone(self._zone).date()
        closed_since = day
        while day - closed_since < SEARCH_HORIZON:
            for start, end in self._utc_intervals(day):
                if end > at:
                    closed_since = day + timedelta(days=1)
                    yield start, end
            day += timedelta(days=1)
        raise ValueError(
            f"the line has no opening time within {SEARCH_HORIZON.days} days of {closed_since}"
        )


def parse_weekly_hours(spec: Mapping[str, str]) -> dict[int, Hours]:
    """Read weekly hours from config, e.g. {"mon": "09:00-16:00", "sat": ""}.

    Several intervals are separated by commas ("08:00-11:30, 12:00-16:00"); an empty value or
    "closed" closes the day, and so does leaving the day out.
    """
    weekly: dict[int, Hours] = {}
    for name, value in spec.items():
        key = name.strip().lower()
        if key not in WEEKDAYS:
            raise ValueError(f"opening hours: unknown weekday {name!r}; use {', '.join(WEEKDAYS)}")
        text = value.strip()
        if text.lower() in ("", "closed"):
            weekly[WEEKDAYS.index(key)] = ()
            continue
        intervals = []
        for part in text.split(","):
            match = _INTERVAL.fullmatch(part.strip())
            if match is None:
                raise ValueError(f"opening hours for {key}: {part.strip()!r} is not HH:MM-HH:MM")
            start_h, start_m, end_h, end_m = map(int, match.groups())
            try:
                intervals.append((time(start_h, start_m), time(end_h, end_m)))
            except ValueError as exc:
                raise ValueError(f"opening hours for {key}: {part.strip()!r}: {exc}") from exc
        hours = tuple(intervals)
        _check_hours(key, hours)
        weekly[WEEKDAYS.index(key)] = hours
    return weekly


def _check_hours(label: str, hours: Hours) -> None:
    previous_end: time | None = None
    for start, end in hours:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"opening hours for {label}: use wall-clock times without a zone")
        if start >= end:
            raise ValueError(f"opening hours for {label}: {start:%H:%M} is not before {end:%H:%M}")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"opening hours for {label}: intervals overlap or are out of order")
        previous_end = end


def _length(hours: Hours) -> timedelta:
    return sum(
        (
            datetime.combine(date.min, end) - datetime.combine(date.min, start)
            for start, end in hours
        ),
        timedelta(0),
    )


def _to_utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; pass an aware datetime")
    return at.astimezone(UTC)
