"""Aggregate figures that outlive cases: `stats_daily` and `stats_monthly`.

A case is counted from the `case` table while it is still moving, and from here once it is
closed and its callbacks are settled (the scheduler's statistics sweep folds it in and marks
it `stats_folded`; retention and erasure fold in whatever is left before deleting), so no
case is counted twice and none is lost when it is deleted; advisory/services/figures.py
reads both with the same definitions. Only categories, counts and response-time
histogram buckets are kept: nothing that points back to one case.

Every row belongs to the line of the cases it counts (`line_id`), so figures can be summed
over any set of lines. What one case adds, on the (line-local) day it was received, and in the
same month:

- `received`, and exactly one of `answered_in_time`, `answered_late` (first response after
  `callback_due_at`) or `never_answered`;
- `callback_attempts` (calls that were due: reached, no answer, wrong number, missed) and
  `callback_reached`;
- for an answered case, one count in each response-time histogram, `response_wall_minutes`
  and `response_opening_minutes` (`bucket` = the bucket's lower bound in minutes).

Categories: per month (`stats_monthly`) channel, kind, reporter role and field; per day
(`stats_daily`) only channel and kind (role and field are "*"), which is what a period cut
at any day needs (the weeks of the dashboard), and keeps a year of days small. Histograms are
by channel only in both (kind, role and field "*").

Response times count whole seconds: each instant's fraction of a second is dropped first,
exactly as the SQL side does (advisory/sql_time.py), so a case falls into the same bucket
whether it is counted live or from here.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from advisory.hours import Calendar
from advisory.models import Callback, CallbackStatus, Case, StatsDaily, StatsMonthly

NOT_ANSWERED = "-"  # the reporter left the question unanswered
ALL = "*"  # a histogram row: summed over the category

# Callback outcomes that were a call someone made (or should have made).
ATTEMPTED_CALLBACKS = frozenset(
    {
        CallbackStatus.REACHED,
        CallbackStatus.NO_ANSWER,
        CallbackStatus.WRONG_NUMBER,
        CallbackStatus.MISSED,
    }
)


class Metric:
    RECEIVED = "received"
    ANSWERED_IN_TIME = "answered_in_time"
    ANSWERED_LATE = "answered_late"
    NEVER_ANSWERED = "never_answered"
    RESPONSE_WALL_MINUTES = "response_wall_minutes"  # histogram
    RESPONSE_OPENING_MINUTES = "response_opening_minutes"  # histogram
    CALLBACK_ATTEMPTS = "callback_attempts"
    CALLBACK_REACHED = "callback_reached"


OUTCOMES = (Metric.ANSWERED_IN_TIME, Metric.ANSWERED_LATE, Metric.NEVER_ANSWERED)
HISTOGRAMS = (Metric.RESPONSE_WALL_MINUTES, Metric.RESPONSE_OPENING_MINUTES)

# A cell of the rollup: day (or month), channel, kind, reporter role, field, metric, bucket.
Cell = tuple[date, str, str, str, str, str, int]
# A row of the rollup: the line, and a cell.
LineCell = tuple[int, date, str, str, str, str, str, int]


def minute_bucket(minutes: float) -> int:
    """Lower bound of a histogram bucket: 1 min below an hour, 5 min below a day, then hourly."""
    whole = max(0, int(minutes))
    if whole < 60:
        return whole
    if whole < 24 * 60:
        return whole - whole % 5
    return whole - whole % 60


def response_seconds(received: datetime, answered: datetime, calendar: Calendar) -> tuple[int, int]:
    """Wall-clock and opening seconds from receipt to first response, in whole seconds."""
    start, end = received.replace(microsecond=0), answered.replace(microsecond=0)
    wall = int((end - start).total_seconds())
    opening = int(calendar.opening_time_between(start, end).total_seconds())
    return max(wall, 0), opening


def fold_cases(session: Session, cases: Iterable[Case], calendar: Calendar) -> None:
    """Add each case's contribution to the daily and monthly aggregates, once (flush only).

    Each case counts in the rows of its own line (`calendar` is meant to be that line's:
    `services.rollup.fold_by_line` sorts cases of several lines). A case already counted
    (`stats_folded`) is left out, so retention and erasure can hand over any case; each one
    counted is marked.
    """
    cases = [case for case in cases if not case.stats_folded]
    if not cases:
        return
    calls = _callback_counts(session, [case.id for case in cases])
    daily: Counter[LineCell] = Counter()
    monthly: Counter[LineCell] = Counter()
    for case in cases:
        day_cells, month_cells = rollup_cells(case, calendar, calls.get(case.id, (0, 0)))
        daily.update({(case.line_id, *cell): count for cell, count in day_cells.items()})
        monthly.update({(case.line_id, *cell): count for cell, count in month_cells.items()})
        case.stats_folded = True
    for model, cells in ((StatsDaily, daily), (StatsMonthly, monthly)):
        for cell, count in cells.items():
            _increment(session, model, cell, count)
    session.flush()


def rollup_cells(
    case: Case, calendar: Calendar, calls: tuple[int, int]
) -> tuple[Counter[Cell], Counter[Cell]]:
    """The daily and the monthly cells one case adds to (`calls`: attempts, reached).

    Reads only the case's timestamps and categories, so a benchmark can feed it look-alikes.
    """
    day = calendar.local_date(case.received_at)
    month = day.replace(day=1)
    channel, kind = str(case.channel), str(case.kind)
    role = str(case.reporter_role) if case.reporter_role else NOT_ANSWERED
    field = str(case.field) if case.field else NOT_ANSWERED
    daily: Counter[Cell] = Counter()
    monthly: Counter[Cell] = Counter()
    for metric, bucket, count in _contributions(case, calendar, calls):
        if not count:
            continue
        if metric in HISTOGRAMS:
            daily[(day, channel, ALL, ALL, ALL, metric, bucket)] += count
            monthly[(month, channel, ALL, ALL, ALL, metric, bucket)] += count
        else:
            daily[(day, channel, kind, ALL, ALL, metric, bucket)] += count
            monthly[(month, channel, kind, role, field, metric, bucket)] += count
    return daily, monthly


def _contributions(
    case: Case, calendar: Calendar, calls: tuple[int, int]
) -> list[tuple[str, int, int]]:
    """(metric, bucket, count) that one case adds."""
    attempts, reached = calls
    found = [
        (Metric.RECEIVED, 0, 1),
        (Metric.CALLBACK_ATTEMPTS, 0, attempts),
        (Metric.CALLBACK_REACHED, 0, reached),
    ]
    answered = case.first_response_at
    if answered is None:
        return [*found, (Metric.NEVER_ANSWERED, 0, 1)]
    in_time = answered <= case.callback_due_at
    found.append((Metric.ANSWERED_IN_TIME if in_time else Metric.ANSWERED_LATE, 0, 1))
    wall, opening = response_seconds(case.received_at, answered, calendar)
    found.append((Metric.RESPONSE_WALL_MINUTES, minute_bucket(wall // 60), 1))
    found.append((Metric.RESPONSE_OPENING_MINUTES, minute_bucket(opening // 60), 1))
    return found


def _callback_counts(session: Session, case_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per case: calls made (or missed), and calls that reached the reporter."""
    found: dict[int, tuple[int, int]] = {}
    for start in range(0, len(case_ids), 500):
        rows = session.execute(
            select(Callback.case_id, Callback.status, func.count())
            .where(
                Callback.case_id.in_(case_ids[start : start + 500]),
                Callback.status.in_(ATTEMPTED_CALLBACKS),
            )
            .group_by(Callback.case_id, Callback.status)
        )
        for case_id, status, count in rows:
            attempts, reached = found.get(case_id, (0, 0))
            found[case_id] = (
                attempts + count,
                reached + (count if status == CallbackStatus.REACHED else 0),
            )
    return found


def _increment(
    session: Session, model: type[StatsDaily] | type[StatsMonthly], cell: LineCell, count: int
) -> None:
    period = "day" if model is StatsDaily else "month"
    names = ("line_id", period, "channel", "kind", "reporter_role", "field", "metric", "bucket")
    key = dict(zip(names, cell, strict=True))
    conditions = [getattr(model, name) == value for name, value in key.items()]
    session.flush()  # rows added earlier in this loop must be visible to the UPDATE
    result = session.execute(
        update(model)
        .where(*conditions)
        .values(count=model.count + count)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(model(**key, count=count))


def percentile(histogram: Mapping[int, int], fraction: float) -> int | None:
    """Nearest-rank percentile of a histogram: the lower bound of the bucket holding the value
    at rank ceil(fraction × n); None for an empty histogram."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(round(fraction * total, 6)))  # round: 0.9 × 10 is 9.000…02
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= rank:
            return bucket
    raise AssertionError("unreachable: the ranks add up to the total")
