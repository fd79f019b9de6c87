"""Time to first response over a period: histograms from live cases plus the rollup.

Live cases get their opening time in SQL (advisory/sql_time.py: a table of the period's days
with their open intervals), bucketed like the rollup's histograms (advisory/stats.py), so
medians and percentiles come out the same whether a case is still live or folded in. Of a
set of lines (`line_ids`; None: every line), as every figure (advisory/services/figures.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CTE

from advisory.models import Case
from advisory.services.figures import (
    of_group,
    received_in,
    received_in_any,
    rollup_sources,
    union_of,
)
from advisory.services.periods import Scope
from advisory.sql_time import LocalDays, OpeningClock, epoch_seconds, integer
from advisory.stats import ALL, HISTOGRAMS, Metric

Histograms = dict[str, dict[str, Counter[int]]]  # channel (or ALL) → metric → bucket → count


def response_histograms(
    session: Session, scope: Scope, *, line_ids: Collection[int] | None = None
) -> Histograms:
    """Wall-clock and opening-time histograms of first responses, per channel and for ALL."""
    return _histograms(session, scope, line_ids, by_line=False).get(None, {})


def response_histograms_by_line(
    session: Session, scope: Scope, *, line_ids: Collection[int] | None = None
) -> dict[int, Histograms]:
    """`response_histograms` of each line (line id → histograms), in one query."""
    found = _histograms(session, scope, line_ids, by_line=True)
    return {line_id: histograms for line_id, histograms in found.items() if line_id is not None}


def _histograms(
    session: Session, scope: Scope, line_ids: Collection[int] | None, *, by_line: bool
) -> dict[int | None, Histograms]:
    """The histograms by line (None: of all the lines together, unless `by_line`)."""
    parts: list[Select] = []
    for live in _live_responses(session, scope, line_ids):
        for metric in HISTOGRAMS:
            keys = [live.c.line_id] if by_line else []
            parts.append(
                select(
                    *keys,
                    live.c.channel,
                    literal(metric, String).label("metric"),
                    live.c[metric].label("bucket"),
                    func.count().label("n"),
                ).group_by(*keys, live.c.channel, live.c[metric])
            )
    for model, condition in rollup_sources(scope, line_ids=line_ids):
        parts.append(
            select(
                *([model.line_id.label("line_id")] if by_line else []),
                model.channel.label("channel"),
                model.metric.label("metric"),
                model.bucket.label("bucket"),
                model.count.label("n"),
            ).where(condition, model.metric.in_(HISTOGRAMS))
        )
    rows = union_of(parts, "responses")
    keys = [rows.c.channel, rows.c.metric, rows.c.bucket]
    if by_line:
        keys.insert(0, rows.c.line_id)
    query = select(*keys, func.sum(rows.c.n)).group_by(*keys)
    found: dict[int | None, Histograms] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Counter))
    )
    for *line, channel, metric, bucket, total in session.execute(query):
        line_id = int(line[0]) if line else None
        for key in (str(channel), ALL):
            found[line_id][key][metric][int(bucket)] += int(total)
    return {
        line_id: {channel: dict(metrics) for channel, metrics in histograms.items()}
        for line_id, histograms in found.items()
    }


def _live_responses(session: Session, scope: Scope, line_ids: Collection[int] | None) -> list[CTE]:
    """Per answered live case of the period and lines: line, channel and both response-time
    buckets; a CTE per calendar the lines are counted in (`Scope.by_calendar`)."""
    groups = scope.by_calendar(line_ids)
    # The clocks need only cover every answered case: one range over all the groups' days
    # reads the index once (an OR of the groups' conditions read it once per group).
    everyone = and_(received_in_any(groups, line_ids), _answered)
    span = _answered_span(session, everyone)
    if span is None:
        return []
    dialect = session.get_bind().dialect.name
    if len(groups) == 1:
        calendar_scope, lines = groups[0]
        answered = and_(received_in(calendar_scope, lines), _answered)
        return [_live_group(calendar_scope, _live_instants(answered), span, dialect, "")]
    # Several calendars: the answered cases of them all are read once, each group takes its
    # own lines and days from those (reading the table once per group cost more).
    everyone_instants = _live_instants(everyone)
    return [
        _live_group(
            calendar_scope,
            _instants_of(everyone_instants, calendar_scope, lines, f"_{number}"),
            span,
            dialect,
            f"_{number}",
        )
        for number, (calendar_scope, lines) in enumerate(groups)
    ]


def _instants_of(instants: CTE, scope: Scope, line_ids: Collection[int] | None, suffix: str) -> CTE:
    """The rows of `instants` of the lines and days of one calendar's group."""
    return (
        select(instants)
        .where(*of_group(instants.c, scope, line_ids))
        .cte(f"live_instants{suffix}")
        .prefix_with("MATERIALIZED")
    )


def _live_group(
    scope: Scope, instants: CTE, span: tuple[datetime, datetime], dialect: str, suffix: str
) -> CTE:
    """Line, channel and both response-time buckets of the `instants` of one calendar."""
    earliest, latest = span
    clock = OpeningClock(
        scope.calendar,
        _local_date(scope, earliest) - timedelta(days=1),
        _local_date(scope, latest) + timedelta(days=1),
    ).table(dialect, name=f"opening_days{suffix}")
    zone_days = LocalDays.between(scope.calendar.timezone, earliest, latest)
    ends = _Ends.of(instants, zone_days)
    query, opening = (_looked_up if dialect == "sqlite" else _joined)(ends, clock)
    seconds = (
        query.add_columns((ends.responded - ends.received).label("wall"), opening.label("opening"))
        .cte(f"live_seconds{suffix}")
        .prefix_with("MATERIALIZED")
    )
    return (
        select(
            seconds.c.line_id,
            seconds.c.channel,
            _minute_bucket(seconds.c.wall).label(Metric.RESPONSE_WALL_MINUTES),
            _minute_bucket(seconds.c.opening).label(Metric.RESPONSE_OPENING_MINUTES),
        )
        .cte(f"live_responses{suffix}")
        .prefix_with("MATERIALIZED")
    )


_answered = Case.first_response_at.is_not(None)


def _answered_span(
    session: Session, answered: ColumnElement[bool]
) -> tuple[datetime, datetime] | None:
    """The earliest and latest instant (receipt or response) of the answered live cases."""
    bounds = session.execute(
        select(
            func.min(Case.received_at),
            func.max(Case.received_at),
            func.min(Case.first_response_at),
            func.max(Case.first_response_at),
        ).where(answered)
    ).one()
    instants: list[datetime] = [at for at in bounds if at is not None]
    if not instants:
        return None
    return min(instants), max(instants)


def _live_instants(answered: ColumnElement[bool]) -> CTE:
    # Each instant's epoch and local day once per case, materialised: what follows refers to
    # them several times, and the databases would otherwise compute them again each time.
    return (
        select(
            Case.line_id.label("line_id"),
            type_coerce(Case.channel, String).label("channel"),
            epoch_seconds(Case.received_at).label("received"),
            epoch_seconds(Case.first_response_at).label("responded"),
            Case.received_at.label("received_at"),
            Case.first_response_at.label("responded_at"),
        )
        .where(answered)
        .cte("live_instants")
        .prefix_with("MATERIALIZED")
    )


@dataclass(frozen=True)
class _Ends:
    """Receipt and response of each live case: epoch seconds and local day numbers, as SQL."""

    instants: CTE
    received: ColumnElement[int]
    responded: ColumnElement[int]
    received_day: ColumnElement[int]
    responded_day: ColumnElement[int]

    @classmethod
    def of(cls, instants: CTE, zone_days: LocalDays) -> _Ends:
        received, responded = instants.c.received, instants.c.responded
        return cls(
            instants,
            received,
            responded,
            zone_days.day_from(received, instants.c.received_at),
            zone_days.day_from(responded, instants.c.responded_at),
        )


def _looked_up(ends: _Ends, clock: CTE) -> tuple[Select[Any], ColumnElement[int]]:
    """Opening seconds between receipt and response, each end looked up by its day.

    SQLite would loop over the days outside the cases; a correlated lookup per instant uses an
    automatic index on the day number instead (20-40 times faster here)."""

    def before(epoch: ColumnElement[int], day_number: ColumnElement[int]) -> ColumnElement[int]:
        day = clock.alias()
        return (
            select(OpeningClock.seconds_before(day, epoch))
            .where(day.c.d == day_number)
            .scalar_subquery()
        )

    query = select(ends.instants.c.line_id, ends.instants.c.channel).select_from(ends.instants)
    opening = before(ends.responded, ends.responded_day) - before(ends.received, ends.received_day)
    return query, opening


def _joined(ends: _Ends, clock: CTE) -> tuple[Select[Any], ColumnElement[int]]:
    """Opening seconds between receipt and response, the day of each end joined in (PostgreSQL
    hashes the joins)."""
    # Named after the clock, so that the joins of several calendars fit in one statement.
    at_receipt = clock.alias(f"{clock.name}_at_receipt")
    at_response = clock.alias(f"{clock.name}_at_response")
    query = (
        select(ends.instants.c.line_id, ends.instants.c.channel)
        .select_from(ends.instants)
        .join(at_receipt, at_receipt.c.d == ends.received_day)
        .join(at_response, at_response.c.d == ends.responded_day)
    )
    opening = OpeningClock.seconds_before(at_response, ends.responded) - (
        OpeningClock.seconds_before(at_receipt, ends.received)
    )
    return query, opening


def _minute_bucket(seconds: ColumnElement[int]) -> ColumnElement[int]:
    """`advisory.stats.minute_bucket` of whole minutes, in SQL."""
    minutes = case((seconds < integer(0), integer(0)), else_=seconds) // integer(60)
    return case(
        (minutes < integer(60), minutes),
        (minutes < integer(24 * 60), minutes - minutes % integer(5)),
        else_=minutes - minutes % integer(60),
    )


def _local_date(scope: Scope, at: datetime) -> date:
    return scope.calendar.local_date(at)
