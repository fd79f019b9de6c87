"""Periods of the coordinator's figures: line-local days, weeks and months (pure)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from advisory.hours import Calendar
from advisory.sql_time import LocalDays, local_midnight


class Dimension(enum.StrEnum):
    WEEK = "week"  # the Monday the (local) week starts on
    MONTH = "month"  # the first day of the month
    CHANNEL = "channel"
    KIND = "kind"
    REPORTER_ROLE = "reporter_role"
    FIELD = "field"


TIMES = (Dimension.WEEK, Dimension.MONTH)
DAILY_MISSING = (Dimension.REPORTER_ROLE, Dimension.FIELD)  # kept per month only


@dataclass(frozen=True)
class Period:
    """Line-local days, both included."""

    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("a period cannot end before it begins")

    def first_monday(self) -> date:
        return self.first_day - timedelta(days=self.first_day.weekday())

    def month_starts(self) -> list[date]:
        starts = [self.first_day.replace(day=1)]
        while (following := _next_month(starts[-1])) <= self.last_day:
            starts.append(following)
        return starts

    def whole_months(self) -> list[date]:
        """First days of the months that lie entirely inside the period."""
        return [
            start
            for start in self.month_starts()
            if start >= self.first_day and _month_end(start) <= self.last_day
        ]

    def days_outside(self, months: Sequence[date]) -> list[tuple[date, date]]:
        """The period's days not in `months` (consecutive whole months): up to two ranges."""
        if not months:
            return [(self.first_day, self.last_day)]
        ranges = []
        if self.first_day < months[0]:
            ranges.append((self.first_day, months[0] - timedelta(days=1)))
        if _month_end(months[-1]) < self.last_day:
            ranges.append((_month_end(months[-1]) + timedelta(days=1), self.last_day))
        return ranges

    def weeks(self) -> list[date]:
        monday, found = self.first_monday(), []
        while monday <= self.last_day:
            found.append(monday)
            monday += timedelta(days=7)
        return found


def _next_month(start: date) -> date:
    """The first day of the month after the one `start` (a first day) begins."""
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _month_end(start: date) -> date:
    return _next_month(start) - timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    """What every figure needs: the line's calendar, the period, and the present moment."""

    calendar: Calendar
    period: Period
    now: datetime

    @property
    def start(self) -> datetime:
        return local_midnight(self.calendar.timezone, self.period.first_day)

    @property
    def end(self) -> datetime:
        return local_midnight(self.calendar.timezone, self.period.last_day + timedelta(days=1))

    def local_days(self) -> LocalDays:
        return LocalDays.between(self.calendar.timezone, self.start, self.end)
