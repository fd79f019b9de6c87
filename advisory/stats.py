"""Aggregate figures that outlive cases: a case is folded into `stats_daily` before deletion.

Live cases are counted from the `case` table, deleted ones from here, so no case is counted
twice and none is lost when retention deletes it. Only categories, counts and response-time
histogram buckets are kept: nothing that points back to one case.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from advisory.hours import Calendar
from advisory.models import Case, StatsDaily

NOT_ANSWERED = "-"


class Metric:
    RECEIVED = "received"
    ANSWERED_IN_TIME = "answered_in_time"
    ANSWERED_LATE = "answered_late"
    NEVER_ANSWERED = "never_answered"
    RESPONSE_WALL_MINUTES = "response_wall_minutes"  # histogram
    RESPONSE_OPENING_MINUTES = "response_opening_minutes"  # histogram


def minute_bucket(minutes: float) -> int:
    """Lower bound of a histogram bucket: 1 min below an hour, 5 min below a day, then hourly."""
    whole = max(0, int(minutes))
    if whole < 60:
        return whole
    if whole < 24 * 60:
        return whole - whole % 5
    return whole - whole % 60


def fold_cases(session: Session, cases: Iterable[Case], calendar: Calendar) -> None:
    """Add each case's contribution to the daily aggregates (flush only)."""
    zone = ZoneInfo(calendar.timezone)
    for case in cases:
        day = case.received_at.astimezone(zone).date()
        for metric, bucket in _contributions(case, calendar):
            _increment(session, day, case, metric, bucket)
    session.flush()


def _contributions(case: Case, calendar: Calendar) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = [(Metric.RECEIVED, 0)]
    answered = case.first_response_at
    if answered is None:
        return [*found, (Metric.NEVER_ANSWERED, 0)]
    in_time = answered <= case.callback_due_at
    found.append((Metric.ANSWERED_IN_TIME if in_time else Metric.ANSWERED_LATE, 0))
    wall = (answered - case.received_at) / timedelta(minutes=1)
    opening = calendar.opening_time_between(case.received_at, answered) / timedelta(minutes=1)
    found.append((Metric.RESPONSE_WALL_MINUTES, minute_bucket(wall)))
    found.append((Metric.RESPONSE_OPENING_MINUTES, minute_bucket(opening)))
    return found


def _increment(session: Session, day: date, case: Case, metric: str, bucket: int) -> None:
    key = {
        "day": day,
        "channel": str(case.channel),
        "kind": str(case.kind),
        "reporter_role": str(case.reporter_role) if case.reporter_role else NOT_ANSWERED,
        "field": str(case.field) if case.field else NOT_ANSWERED,
        "metric": metric,
        "bucket": bucket,
    }
    conditions = [getattr(StatsDaily, name) == value for name, value in key.items()]
    session.flush()  # rows added earlier in this loop must be visible to the UPDATE
    result = session.execute(
        update(StatsDaily)
        .where(*conditions)
        .values(count=StatsDaily.count + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(StatsDaily(**key, count=1))


def daily_totals(session: Session, first: date, last: date) -> dict[str, int]:
    """Count per metric over a period, summed in SQL (a histogram's buckets add up too)."""
    rows = session.execute(
        select(StatsDaily.metric, func.sum(StatsDaily.count))
        .where(StatsDaily.day >= first, StatsDaily.day <= last)
        .group_by(StatsDaily.metric)
    )
    return {metric: int(total) for metric, total in rows}
