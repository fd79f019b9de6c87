"""What the reporter's pages say about opening hours, computed from the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from advisory.hours import Calendar


@dataclass(frozen=True)
class DayHours:
    weekday: int  # 0 = Monday
    intervals: tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class StaffedDays:
    """Consecutive weekdays with the same hours, such as Monday to Friday 09:00-16:00."""

    first_day: int  # 0 = Monday
    last_day: int
    intervals: tuple[tuple[time, time], ...]


@dataclass(frozen=True)
class OpeningSummary:
    open_now: bool
    next_opening: datetime | None  # None while open
    week: tuple[DayHours, ...]


def opening_summary(calendar: Calendar, now: datetime) -> OpeningSummary:
    open_now = calendar.is_open(now)
    week = tuple(DayHours(day, tuple(calendar.weekly_hours.get(day, ()))) for day in range(7))
    return OpeningSummary(
        open_now=open_now,
        next_opening=None if open_now else calendar.next_opening(now),
        week=week,
    )


def staffed_days(calendar: Calendar) -> tuple[StaffedDays, ...]:
    """The weekly hours in a few words: days in a row with the same hours go together."""
    spans: list[StaffedDays] = []
    for day in range(7):
        intervals = tuple(calendar.weekly_hours.get(day, ()))
        if not intervals:
            continue
        last = spans[-1] if spans else None
        if last is not None and last.last_day == day - 1 and last.intervals == intervals:
            spans[-1] = StaffedDays(last.first_day, day, intervals)
        else:
            spans.append(StaffedDays(day, day, intervals))
    return tuple(spans)
