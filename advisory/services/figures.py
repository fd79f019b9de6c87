"""Figures for a period: live cases plus the daily rollup, counted in SQL.

A case is counted from the `case` table while it exists and from `stats_daily` once it has
been deleted (advisory/stats.py folds it in first), never both. Each function here therefore
runs one grouped query over a UNION ALL of the live rows (one row per case or callback, with
the same categories and metric names the rollup uses) and the rollup's rows for the same
days. Nothing selects envelopes, lookup hmacs or reporter keys: only categories, timestamps,
statuses and counts.

Every figure is of a set of lines (`line_ids`; None: every line): live cases by their
`line_id`, rollup rows by theirs. The calendar (the scope's) is the caller's choice.

Definitions (the tests in tests/test_coordinator_figures.py work each one out by hand):

- a case belongs to the line-local day it was received on;
- outcome: `answered_in_time` (first response — reply, or reached callback — at or before
  `callback_due_at`), `answered_late`, `never_answered` (closed without a response, or still
  open with the deadline passed), or, for a live case only, `pending` (open, unanswered,
  deadline ahead; left out of compliance shares);
- response times: from receipt to first response, whole seconds, wall clock and opening time
  (advisory/hours.py), as histograms with the rollup's buckets (advisory/stats.py);
- callbacks: calls that were due (reached, no answer, wrong number, missed) and those reached,
  counted on the day their case was received.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.selectable import CTE, FromClause, Subquery

from advisory.models import Callback, CallbackStatus, Case, CaseStatus, StatsDaily, StatsMonthly
from advisory.services.periods import DAILY_MISSING, NUMBERS, TIMES, Dimension, Period, Scope
from advisory.sql_time import (
    day_number,
    integer,
    local_midnight,
    to_day_number,
)
from advisory.stats import (
    ATTEMPTED_CALLBACKS,
    NOT_ANSWERED,
    OUTCOMES,
    Metric,
)
from advisory.timestamps import UTCDateTime

PENDING = "pending"  # live only: open, unanswered, deadline ahead


Key = tuple[str | date, ...]
Counts = dict[Key, Counter[str]]


__all__ = [
    "PENDING",
    "Counts",
    "Dimension",
    "Period",
    "Scope",
    "callback_counts",
    "case_counts",
    "case_counts_by_sets",
]


# --- counts of cases and callbacks -------------------------------------------------------------


def case_counts(
    session: Session,
    scope: Scope,
    by: Sequence[Dimension],
    *,
    line_ids: Collection[int] | None = None,
) -> Counts:
    """Per combination of `by`: `received` and the outcomes (live cases may be `pending`)."""
    return case_counts_by_sets(session, scope, [tuple(by)], line_ids=line_ids)[0]


def case_counts_by_sets(
    session: Session,
    scope: Scope,
    sets: Sequence[tuple[Dimension, ...]],
    *,
    line_ids: Collection[int] | None = None,
    received_only: Collection[tuple[Dimension, ...]] = (),
) -> list[Counts]:
    """`case_counts` for several groupings at once (like SQL's GROUPING SETS, which SQLite
    lacks), in one query: the live cases are counted once by every dimension involved, then
    each grouping sums those counts and reads its own rows of the rollup (an index range each:
    grouping the rollup's fine cells by every dimension first would cost more than all the
    groupings together). The groupings in `received_only` count `received` alone."""
    if len(sets) == 1 and not received_only:
        return [_case_counts_by(session, scope, sets[0], line_ids)]
    by = list(dict.fromkeys(dimension for dimensions in sets for dimension in dimensions))
    live = _live_outcomes(scope, by, line_ids)
    selects = []
    for number, dimensions in enumerate(sets):
        metrics = (Metric.RECEIVED,) if dimensions in received_only else CASE_METRICS
        parts = [
            select(
                *(live.c[dimension] for dimension in dimensions),
                live.c.metric,
                live.c.n,
            ).where(live.c.metric.in_(metrics)),
            *_stats_counts(scope, dimensions, metrics, line_ids),
        ]
        rows = union_of(parts, f"figures_{number}")
        chosen = [rows.c[dimension] for dimension in dimensions]
        selects.append(
            select(
                integer(number).label("grouping"),
                *(
                    rows.c[dimension]
                    if dimension in dimensions
                    else cast(null(), Integer if dimension in NUMBERS else String).label(dimension)
                    for dimension in by
                ),
                rows.c.metric,
                func.sum(rows.c.n).label("n"),
            ).group_by(*chosen, rows.c.metric)
        )
    found: list[Counts] = [defaultdict(Counter) for _ in sets]
    readables = [_readable_keys(scope, dimensions) for dimensions in sets]
    positions = [[by.index(dimension) for dimension in dimensions] for dimensions in sets]
    for number, *key, metric, total in session.execute(union_all(*selects)):
        picked = [key[position] for position in positions[number]]
        found[number][readables[number](picked)][metric] += int(total)
    return [dict(counts) for counts in found]


CASE_METRICS = (Metric.RECEIVED, *OUTCOMES, PENDING)


def _case_counts_by(
    session: Session, scope: Scope, by: Sequence[Dimension], line_ids: Collection[int] | None
) -> Counts:
    live = _live_outcomes(scope, by, line_ids)
    stats = _stats_counts(scope, by, (Metric.RECEIVED, *OUTCOMES), line_ids)
    return _sum_by(session, scope, by, [select(live), *stats])


def _live_outcomes(scope: Scope, by: Sequence[Dimension], line_ids: Collection[int] | None) -> CTE:
    """The live cases counted by `by` and outcome, each also once as `received` (rows:
    dimensions, metric, n), materialised: one pass over the cases whoever reads it."""
    outcome = case(
        (
            and_(
                Case.first_response_at.is_not(None),
                Case.first_response_at <= Case.callback_due_at,
            ),
            Metric.ANSWERED_IN_TIME,
        ),
        (Case.first_response_at.is_not(None), Metric.ANSWERED_LATE),
        (
            or_(Case.status == CaseStatus.CLOSED, Case.callback_due_at <= scope.now),
            Metric.NEVER_ANSWERED,
        ),
        else_=PENDING,
    )
    live_rows = union_of(_live_counts(scope, by, outcome, line_ids, select_from=Case), "live")
    outcomes = select(live_rows).cte("live_by_outcome").prefix_with("MATERIALIZED")
    received = select(
        *(outcomes.c[dimension] for dimension in by),
        literal(Metric.RECEIVED, String).label("metric"),
        outcomes.c.n,
    )
    return union_all(select(outcomes), received).cte("live_outcomes")


def callback_counts(
    session: Session,
    scope: Scope,
    by: Sequence[Dimension],
    *,
    line_ids: Collection[int] | None = None,
) -> Counts:
    """Per combination of `by`: `callback_attempts` and `callback_reached`."""
    calls = Case.__table__.join(Callback.__table__, Callback.case_id == Case.id)
    live = [
        *_live_counts(
            scope,
            by,
            literal(Metric.CALLBACK_ATTEMPTS),
            line_ids,
            select_from=calls,
            condition=Callback.status.in_(ATTEMPTED_CALLBACKS),
            name="live_attempts",
        ),
        *_live_counts(
            scope,
            by,
            literal(Metric.CALLBACK_REACHED),
            line_ids,
            select_from=calls,
            condition=Callback.status == CallbackStatus.REACHED,
            name="live_reached",
        ),
    ]
    stats = _stats_counts(scope, by, (Metric.CALLBACK_ATTEMPTS, Metric.CALLBACK_REACHED), line_ids)
    return _sum_by(session, scope, by, [*live, *stats])


def received_in(scope: Scope, line_ids: Collection[int] | None = None) -> ColumnElement[bool]:
    """Live cases of the period (and of the lines, None: every line) not counted in the rollup
    yet (see advisory/stats.py)."""
    return and_(
        Case.stats_folded == false(),
        Case.received_at >= scope.start,
        Case.received_at < scope.end,
        *of_lines(Case.line_id, line_ids),
    )


def received_in_any(
    groups: Sequence[tuple[Scope, Collection[int] | None]], line_ids: Collection[int] | None
) -> ColumnElement[bool]:
    """Live cases of every calendar group's days (`Scope.by_calendar`) and of the lines, as
    one range: it reads the index once, where an OR of the groups read it once per group."""
    return and_(
        Case.stats_folded == false(),
        Case.received_at >= min(calendar_scope.start for calendar_scope, _ in groups),
        Case.received_at < max(calendar_scope.end for calendar_scope, _ in groups),
        *of_lines(Case.line_id, line_ids),
    )


def of_group(
    columns: Any, scope: Scope, line_ids: Collection[int] | None
) -> list[ColumnElement[bool]]:
    """The rows of `columns` (a CTE's, read with `received_in_any`) on one calendar group's
    days and lines."""
    return [
        columns.received_at >= scope.start,
        columns.received_at < scope.end,
        *of_lines(columns.line_id, line_ids),
    ]


def of_lines(
    column: QueryableAttribute[int] | ColumnElement[Any], line_ids: Collection[int] | None
) -> list[ColumnElement[bool]]:
    """The condition that a row is of one of the lines; none for every line (None)."""
    return [] if line_ids is None else [column.in_(sorted(line_ids))]


def _live_counts(
    scope: Scope,
    by: Sequence[Dimension],
    metric: ColumnElement[str],
    line_ids: Collection[int] | None,
    *,
    select_from: FromClause | type[Case],
    condition: ColumnElement[bool] | None = None,
    name: str = "live_cases",
) -> list[Select]:
    """Live cases counted per combination of `by` and metric (rows: dimensions, metric, n),
    one query per calendar the lines are counted in (`Scope.by_calendar`).

    Each case's values are computed once in an inner query, then grouped. A month is found by
    comparing the stored instant with the months' first moments (no date arithmetic at all);
    a week needs the local day, computed once. Lines in several calendars: the cases of all
    of them are read once into a CTE called `name`, and each calendar's query picks its own
    lines and days from it (reading the table once per calendar cost several times more).
    """
    conditions = [] if condition is None else [condition]
    groups = scope.by_calendar(line_ids, days_only=True)
    source: Any = Case
    froms: FromClause | type[Case] = select_from
    wheres = [[received_in(calendar_scope, lines), *conditions] for calendar_scope, lines in groups]
    if len(groups) > 1:
        needed = {Case.line_id, Case.received_at}
        needed |= {getattr(Case, d.value) for d in by if d not in (*TIMES, Dimension.LINE)}
        cases = (
            select(*sorted(needed, key=lambda column: column.key), metric.label("metric"))
            .select_from(select_from)
            .where(received_in_any(groups, line_ids), *conditions)
            .cte(name)
            .prefix_with("MATERIALIZED")
        )
        source, froms, metric = cases.c, cases, cases.c.metric
        wheres = [of_group(source, calendar_scope, lines) for calendar_scope, lines in groups]
    parts = []
    for (calendar_scope, _lines), where in zip(groups, wheres, strict=True):
        rows = (
            select(
                *(
                    _live_key(dimension, calendar_scope, source).label(dimension)
                    for dimension in by
                ),
                type_coerce(metric, String).label("metric"),
            )
            .select_from(froms)
            .where(*where)
            .subquery()
        )
        keys = [*(rows.c[dimension] for dimension in by), rows.c.metric]
        parts.append(select(*keys, func.count().label("n")).group_by(*keys))
    return parts


def _live_key(dimension: Dimension, scope: Scope, source: Any) -> ColumnElement:
    """A live case's key in `dimension`, from the columns of `source` (the case table, or a
    CTE of some of its columns)."""
    if dimension is Dimension.WEEK:
        first_monday = integer(to_day_number(scope.period.first_monday()))
        return (scope.local_days().day_of(source.received_at) - first_monday) // integer(7)
    if dimension is Dimension.MONTH:
        zone = scope.calendar.timezone
        return _index_below(
            source.received_at,
            [literal(local_midnight(zone, start), UTCDateTime()) for start in _later_months(scope)],
        )
    if dimension is Dimension.LINE:
        line: ColumnElement[int] = source.line_id
        return line
    value = type_coerce(getattr(source, dimension.value), String)
    if dimension in (Dimension.REPORTER_ROLE, Dimension.FIELD):
        return func.coalesce(value, NOT_ANSWERED)
    return value


def _stats_counts(
    scope: Scope,
    by: Sequence[Dimension],
    metrics: Sequence[str],
    line_ids: Collection[int] | None,
) -> list[Select]:
    """Rollup rows of the period and lines (rows: d, categories, metric, n), from the monthly
    table for whole months unless weeks are asked for, from the daily table for the other
    days."""
    parts = []
    for model, condition in rollup_sources(scope, by, line_ids):
        period = StatsDaily.day if model is StatsDaily else StatsMonthly.month
        parts.append(
            select(
                *(_stats_key(dimension, scope, model, period).label(dimension) for dimension in by),
                model.metric.label("metric"),
                model.count.label("n"),
            ).where(condition, model.metric.in_(metrics))
        )
    return parts


def _stats_key(
    dimension: Dimension,
    scope: Scope,
    model: type[StatsDaily] | type[StatsMonthly],
    period: QueryableAttribute[date],
) -> ColumnElement:
    if dimension is Dimension.WEEK:
        first_monday = integer(to_day_number(scope.period.first_monday()))
        return (day_number(period) - first_monday) // integer(7)
    if dimension is Dimension.MONTH:
        return _index_below(period, [literal(start, Date()) for start in _later_months(scope)])
    column: ColumnElement = getattr(model, dimension.value)
    return column


def _later_months(scope: Scope) -> list[date]:
    """First days of the period's months after its first month."""
    return scope.period.month_starts()[1:]


def _index_below(
    value: ColumnElement[Any] | QueryableAttribute[Any], bounds: list[Any]
) -> ColumnElement[int]:
    """0 below the first bound, 1 below the second, …, len(bounds) from the last one on."""
    if not bounds:
        return integer(0)
    whens = [(value < bound, integer(index)) for index, bound in enumerate(bounds)]
    return case(*whens, else_=integer(len(bounds)))


def rollup_sources(
    scope: Scope, by: Sequence[Dimension] = (), line_ids: Collection[int] | None = None
) -> list[tuple[type[StatsDaily] | type[StatsMonthly], ColumnElement[bool]]]:
    """Which rollup table covers which days of the period (rows of the lines `line_ids`, None:
    every line).

    The daily table keeps channel and kind only, so a question about role or field must come
    in whole months (the yearly report does); weeks must come from the daily table.
    """
    period = scope.period
    months = [] if Dimension.WEEK in by else period.whole_months()
    sources: list[tuple[type[StatsDaily] | type[StatsMonthly], ColumnElement[bool]]] = []
    if months:
        in_months = and_(
            StatsMonthly.month >= months[0],
            StatsMonthly.month <= months[-1],
            *of_lines(StatsMonthly.line_id, line_ids),
        )
        sources.append((StatsMonthly, in_months))
    ranges = period.days_outside(months)
    if ranges and any(dimension in DAILY_MISSING for dimension in by):
        raise ValueError("role and field are kept per month: ask for whole months")
    # One source per range of days: an index range each (an OR of ranges is scanned whole).
    for first, last in ranges:
        in_days = and_(
            StatsDaily.day >= first, StatsDaily.day <= last, *of_lines(StatsDaily.line_id, line_ids)
        )
        sources.append((StatsDaily, in_days))
    return sources


def _sum_by(session: Session, scope: Scope, by: Sequence[Dimension], parts: list[Select]) -> Counts:
    rows = union_of(parts, "figures")
    keys = [rows.c[dimension] for dimension in by]
    query = select(*keys, rows.c.metric, func.sum(rows.c.n)).group_by(*keys, rows.c.metric)
    found: Counts = defaultdict(Counter)
    readable = _readable_keys(scope, by)
    for *key, metric, total in session.execute(query):
        found[readable(key)][metric] += int(total)
    return dict(found)


def union_of(parts: list[Select], name: str) -> Subquery:
    if len(parts) == 1:
        return parts[0].subquery(name)
    return union_all(*parts).subquery(name)


def _readable_keys(scope: Scope, by: Sequence[Dimension]) -> Callable[[list[object]], Key]:
    """Turn a result row's key into weeks (Mondays), months (first days) and category names."""
    monday, months = scope.period.first_monday(), scope.period.month_starts()
    converters: list[Callable[[object], str | date]] = []
    for dimension in by:
        if dimension is Dimension.WEEK:
            converters.append(lambda value: monday + timedelta(days=7 * int(str(value))))
        elif dimension is Dimension.MONTH:
            converters.append(lambda value: months[int(str(value))])
        elif dimension is Dimension.LINE:
            converters.append(lambda value: str(int(str(value))))
        else:
            converters.append(str)
    return lambda key: tuple(convert(value) for convert, value in zip(converters, key, strict=True))
