"""Periods of the coordinator's figures: line-local days, weeks and months (pure)."""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from advisory.hours import Calendar
from advisory.sql_time import LocalDays, local_midnight


class Dimension(enum.StrEnum):
    WEEK = "week"  # the Monday the (local) week starts on
    MONTH = "month"  # the first day of the month
    LINE = "line_id"
    CHANNEL = "channel"
    KIND = "kind"
    REPORTER_ROLE = "reporter_role"
    FIELD = "field"


TIMES = (Dimension.WEEK, Dimension.MONTH)
NUMBERS = (*TIMES, Dimension.LINE)  # dimensions whose keys are integers in SQL
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
    """What every figure needs: a calendar, the period, and the present moment.

    A line's days are its own: the rollup counts each line's cases in its calendar, and live
    cases must fall on the same days, or a case would move to another day (month, year) when
    it is folded. `line_calendars`, when given, names every line's calendar; without it,
    every line is counted in `calendar`.
    """

    calendar: Calendar
    period: Period
    now: datetime
    line_calendars: tuple[tuple[int, Calendar], ...] = ()

    def by_calendar(
        self, line_ids: Collection[int] | None, *, days_only: bool = False
    ) -> list[tuple[Scope, Collection[int] | None]]:
        """The lines `line_ids` (None: every line) in groups that share a calendar, each
        with the scope of its calendar: live cases are counted group by group.

        `days_only`: what is counted needs only the local days (counts, not opening time), so
        lines whose time zones agree over the period share a group whatever their hours and
        holidays (Oslo, Stockholm and Copenhagen have kept one offset since 1996)."""
        if not self.line_calendars:
            return [(self, line_ids)]
        wanted = set(line_ids) if line_ids is not None else None
        groups: list[tuple[object, Calendar, list[int]]] = []
        for line_id, calendar in sorted(self.line_calendars, key=lambda pair: pair[0]):
            if wanted is not None and line_id not in wanted:
                continue
            same = self._days_of(calendar) if days_only else calendar
            group = next((ids for known, _, ids in groups if known == same), None)
            if group is None:
                groups.append((same, calendar, group := []))
            group.append(line_id)
        # Lines named but without a calendar of their own are counted in `calendar`.
        rest = sorted(wanted - {line_id for line_id, _ in self.line_calendars}) if wanted else []
        if rest or not groups:
            groups.append((None, self.calendar, rest))
        return [(Scope(calendar, self.period, self.now), tuple(ids)) for _, calendar, ids in groups]

    def _days_of(self, calendar: Calendar) -> tuple[tuple[int, int], ...]:
        """What decides the local days of the period in `calendar`: its UTC offsets."""
        start = local_midnight(calendar.timezone, self.period.first_day)
        end = local_midnight(calendar.timezone, self.period.last_day + timedelta(days=1))
        return LocalDays.between(calendar.timezone, start, end).offsets

    @property
    def start(self) -> datetime:
        return local_midnight(self.calendar.timezone, self.period.first_day)

    @property
    def end(self) -> datetime:
        return local_midnight(self.calendar.timezone, self.period.last_day + timedelta(days=1))

    def local_days(self) -> LocalDays:
        return LocalDays.between(self.calendar.timezone, self.start, self.end)
