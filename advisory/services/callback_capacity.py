"""Callback capacity for the coordinator: warnings from slot booking, and places ahead.

Slot booking warns the coordinator when no callback time is free before a case's deadline
(advisory/services/callbacks.py, `capacity_warning` notifications); the missed-callback sweep
tells them when the attempts run out. Counted here per week of a period, beside the booked
callbacks that now lie after their case's deadline and the places left on the next days, for
a set of lines (`line_ids`; None: every line). A warning counts for a line through the case it
names, so a warning about a case deleted since counts only for every line together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from advisory.models import Callback, CallbackSlot, CallbackStatus, Case, Notification
from advisory.services.figures import of_lines
from advisory.services.line_settings import all_lines, config_of
from advisory.services.notifications import NotificationKind
from advisory.services.periods import Scope
from advisory.slots import slots_between
from advisory.sql_time import LocalDays, integer, local_midnight, to_day_number

UPCOMING_OPENING_DAYS = 5


@dataclass(frozen=True)
class DayCapacity:
    day: date
    places: int
    booked: int


@dataclass(frozen=True)
class Capacity:
    warnings: int  # capacity warnings from slot booking in the period
    warnings_by_week: tuple[tuple[date, int], ...]
    attempts_exhausted: int  # callbacks given up after the last attempt, in the period
    booked_after_deadline: int  # booked callbacks now that start after their case's deadline
    upcoming: tuple[DayCapacity, ...]


def capacity_figures(
    session: Session, scope: Scope, *, line_ids: Collection[int] | None = None
) -> Capacity:
    of_cases = select(Case.reference).where(*of_lines(Case.line_id, line_ids))
    in_period = and_(
        Notification.created_at >= scope.start,
        Notification.created_at < scope.end,
        *([] if line_ids is None else [Notification.case_reference.in_(of_cases)]),
    )
    days = scope.local_days()
    week = (
        days.day_of(Notification.created_at) - integer(to_day_number(scope.period.first_monday()))
    ) // integer(7)
    rows = select(week.label("week")).where(
        in_period, Notification.kind == NotificationKind.CAPACITY_WARNING.value
    )
    warnings = rows.subquery()
    by_week: dict[int, int] = {
        int(index): int(count)
        for index, count in session.execute(
            select(warnings.c.week, func.count()).group_by(warnings.c.week)
        )
    }
    weekly = tuple(
        (monday, int(by_week.get(index, 0))) for index, monday in enumerate(scope.period.weeks())
    )
    exhausted = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(in_period, Notification.kind == NotificationKind.CALLBACK_ATTEMPTS_EXHAUSTED.value)
    )
    after_deadline = session.scalar(
        select(func.count())
        .select_from(Callback)
        .join(Case, Callback.case_id == Case.id)
        .where(
            Callback.status == CallbackStatus.BOOKED,
            Callback.slot_start > Case.callback_due_at,
            *of_lines(Case.line_id, line_ids),
        )
    )
    return Capacity(
        warnings=sum(count for _, count in weekly),
        warnings_by_week=weekly,
        attempts_exhausted=int(exhausted or 0),
        booked_after_deadline=int(after_deadline or 0),
        upcoming=_upcoming(session, scope, line_ids),
    )


def _upcoming(
    session: Session, scope: Scope, line_ids: Collection[int] | None
) -> tuple[DayCapacity, ...]:
    """Callback places and bookings on the next few days the figures' calendar is open, of
    the lines added up: each line's places (cut by its own calendar, roster and slot length)
    and the bookings its own slot rows count."""
    calendar, zone_name = scope.calendar, scope.calendar.timezone
    zone = ZoneInfo(zone_name)
    day = scope.now.astimezone(zone).date()
    days: list[date] = []
    for _ in range(60):  # the next opening days, however many holidays lie between
        if calendar.open_intervals(day):
            days.append(day)
        if len(days) == UPCOMING_OPENING_DAYS:
            break
        day += timedelta(days=1)
    if not days:
        return ()
    lines = [
        config_of(line) for line in all_lines(session) if line_ids is None or line.id in line_ids
    ]
    places: Counter[date] = Counter()
    for day in days:
        day_start = local_midnight(zone_name, day)
        day_end = local_midnight(zone_name, day + timedelta(days=1))
        for line in lines:
            for slot in slots_between(
                line.calendar, line.roster, line.slot_length, day_start, day_end
            ):
                places[day] += slot.capacity
    start = local_midnight(zone_name, days[0])
    end = local_midnight(zone_name, days[-1] + timedelta(days=1))
    local_day = LocalDays.between(zone_name, start, end).day_of(CallbackSlot.slot_start)
    booked_rows = select(local_day.label("day"), CallbackSlot.booked.label("booked")).where(
        CallbackSlot.slot_start >= start,
        CallbackSlot.slot_start < end,
        *of_lines(CallbackSlot.line_id, line_ids),
    )
    rows = booked_rows.subquery()
    booked = {
        int(number): int(total)
        for number, total in session.execute(
            select(rows.c.day, func.sum(rows.c.booked)).group_by(rows.c.day)
        )
    }
    return tuple(DayCapacity(day, places[day], booked.get(to_day_number(day), 0)) for day in days)
