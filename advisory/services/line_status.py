"""What the landing page says about opening hours, computed from the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from advisory.hours import Calendar


@dataclass(frozen=True)
class DayHours:
    weekday: int  # 0 = Monday
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
