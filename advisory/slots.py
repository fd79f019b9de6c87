"""Callback slots inside opening hours, and how many callbacks each can take (pure, no Flask).

Slots are cut from each opening interval from its start (09:00, 09:30, …); a slot must end
inside the interval. The duty roster says how many lawyers take callbacks in parallel: a
default per slot, overridden per weekday and time range.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from advisory.hours import WEEKDAYS, Calendar

RosterRule = tuple[time, time, int]  # from, until (wall clock, half-open), parallel callbacks

_RULE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*\*\s*(\d+)", re.ASCII)


@dataclass(frozen=True)
class DutyRoster:
    default_capacity: int = 2
    rules: Mapping[int, tuple[RosterRule, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def capacity_at(self, local_start: datetime) -> int:
        """Parallel callbacks for a slot starting at this local wall-clock time."""
        moment = local_start.time()
        for start, end, capacity in self.rules.get(local_start.weekday(), ()):
            if start <= moment < end:
                return capacity
        return self.default_capacity


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, in the line's time zone
    end: datetime
    capacity: int


def parse_roster(spec: Mapping[str, str], default_capacity: int) -> DutyRoster:
    """`{"mon": "09:00-12:00*3, 12:00-16:00*1"}` → a roster; raises ValueError naming the day."""
    if default_capacity < 0:
        raise ValueError("the default capacity cannot be negative")
    rules: dict[int, tuple[RosterRule, ...]] = {}
    for day, text in spec.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
        parsed = []
        for part in filter(None, (piece.strip() for piece in text.split(","))):
            match = _RULE.fullmatch(part)
            if match is None:
                raise ValueError(f"{day}: expected HH:MM-HH:MM*N, got {part!r}")
            h1, m1, h2, m2, capacity = (int(group) for group in match.groups())
            try:
                start = time(h1, m1)
                end = time.max if (h2, m2) == (24, 0) else time(h2, m2)
            except ValueError:
                raise ValueError(f"{day}: {part!r} is not a time of day") from None
            if start >= end:
                raise ValueError(f"{day}: {part!r} ends before it starts")
            parsed.append((start, end, capacity))
        rules[WEEKDAYS.index(day)] = tuple(sorted(parsed))
    return DutyRoster(default_capacity, MappingProxyType(rules))


def slots_between(
    calendar: Calendar,
    roster: DutyRoster,
    slot_length: timedelta,
    start: datetime,
    end: datetime,
) -> Iterator[Slot]:
    """Slots that start at or after `start` and end no later than `end`, in order."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("slots_between needs timezone-aware datetimes")
    if slot_length <= timedelta(0):
        raise ValueError("slot_length must be positive")
    zone = ZoneInfo(calendar.timezone)
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    while day <= last_day:
        for open_at, close_at in calendar.open_intervals(day):
            # Slots follow each other in elapsed (UTC) time; the ones before `start` are
            # skipped by arithmetic, not generated, as a search often starts late in a day.
            opens, closes = open_at.astimezone(UTC), close_at.astimezone(UTC)
            skipped = max(0, -((opens - start_utc) // slot_length))
            slot_start = opens + skipped * slot_length
            while slot_start + slot_length <= closes:
                slot_end = slot_start + slot_length
                if slot_end > end_utc:
                    return
                local_start = slot_start.astimezone(zone)
                capacity = roster.capacity_at(local_start)
                if capacity > 0:
                    yield Slot(local_start, slot_end.astimezone(zone), capacity)
                slot_start = slot_end
        day += timedelta(days=1)


def parse_slot_start(text: str) -> datetime | None:
    """The start of an offered slot as a page sent it back, or None if it cannot be one.

    Pages offer slot starts as ISO 8601 with an offset. Anything else (a bare date, a week
    date, a time without an offset, a year the calendar cannot reach) is not an offer.
    """
    try:
        start = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if start.utcoffset() is None:
        return None
    try:  # the instant must exist in UTC and leave room for a slot after it
        start.astimezone(UTC) + timedelta(days=1)
    except OverflowError:
        return None
    return start
