"""The coordinator's dashboard: volumes, response times, deadlines, callbacks, load, capacity.

Figures over the chosen period come from `advisory/services/figures.py` (live cases plus the
daily rollup); the state of things now (open cases, deadlines at risk, load per lawyer,
booked callbacks) comes from the live tables. Every figure is a grouped SQL query; the only
case-level values that leave the database are public references of cases whose deadline is
at risk or passed. No envelope, lookup hmac or reporter key is ever selected.

Every figure is of a set of lines (`line_ids`; None: every line): cases by their line, rollup
rows by theirs, lawyers by the line they work for, callback places by their line. The
dashboard is for coordinators and shows exact counts (no small-cell suppression, unlike the
published yearly report), so a dashboard of several lines is simply their sum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from advisory.hours import Calendar
from advisory.models import Case, CaseStatus, Channel, Role, Staff
from advisory.services import deadlines
from advisory.services.callback_capacity import Capacity, capacity_figures
from advisory.services.figures import (
    PENDING,
    Counts,
    Dimension,
    Period,
    Scope,
    callback_counts,
    case_counts,
    of_lines,
)
from advisory.services.line_membership import works_on_lines
from advisory.services.line_settings import figures_calendar, line_calendars
from advisory.services.response_times import Histograms, response_histograms
from advisory.settings import Settings
from advisory.sql_time import integer
from advisory.stats import ALL, Metric, percentile

# Open cases by how long ago they came in (wall-clock days): lower bounds.
AGE_BUCKETS_DAYS = (0, 1, 3, 7, 14, 30)
REFERENCE_LIMIT = 50  # at-risk and breached references listed; the totals are always shown


@dataclass(frozen=True)
class Compliance:
    """How the period's cases were answered against their deadlines."""

    in_time: int = 0
    late: int = 0
    not_answered: int = 0
    pending: int = 0

    @property
    def settled(self) -> int:
        """Cases whose outcome is known: answered, or deadline passed without an answer."""
        return self.in_time + self.late + self.not_answered

    @property
    def share_in_time(self) -> float | None:
        return self.in_time / self.settled if self.settled else None

    @classmethod
    def from_counts(cls, counts: Counter[str]) -> Compliance:
        return cls(
            in_time=counts[Metric.ANSWERED_IN_TIME],
            late=counts[Metric.ANSWERED_LATE],
            not_answered=counts[Metric.NEVER_ANSWERED],
            pending=counts[PENDING],
        )


@dataclass(frozen=True)
class ResponseTimes:
    """First response times in minutes (nearest-rank percentiles of the histogram buckets)."""

    answered: int
    median_wall: int | None
    p90_wall: int | None
    median_opening: int | None
    p90_opening: int | None
    # Wall-clock histogram by band (label key → count), for the chart.
    bands: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_histograms(cls, histograms: Histograms, channel: str = ALL) -> ResponseTimes:
        metrics = histograms.get(channel, {})
        wall = metrics.get(Metric.RESPONSE_WALL_MINUTES, Counter())
        opening = metrics.get(Metric.RESPONSE_OPENING_MINUTES, Counter())
        return cls(
            answered=sum(wall.values()),
            median_wall=percentile(wall, 0.5),
            p90_wall=percentile(wall, 0.9),
            median_opening=percentile(opening, 0.5),
            p90_opening=percentile(opening, 0.9),
            bands=_bands(wall),
        )


# Wall-clock bands of the response-time chart: (key, lower bound in minutes).
RESPONSE_BANDS = (
    ("under_1h", 0),
    ("1_4h", 60),
    ("4_24h", 4 * 60),
    ("1_2d", 24 * 60),
    ("2_7d", 48 * 60),
    ("over_7d", 7 * 24 * 60),
)


def _bands(histogram: Counter[int]) -> tuple[tuple[str, int], ...]:
    counts: Counter[str] = Counter()
    for bucket, count in histogram.items():
        key = next(key for key, lower in reversed(RESPONSE_BANDS) if bucket >= lower)
        counts[key] += count
    return tuple((key, counts[key]) for key, _ in RESPONSE_BANDS)


@dataclass(frozen=True)
class WeekVolume:
    monday: date
    by_channel: dict[str, int]
    by_kind: dict[str, int]
    compliance: Compliance

    @property
    def total(self) -> int:
        return sum(self.by_channel.values())

    def counts(self, dimension: str) -> dict[str, int]:
        """The week's cases by channel or by kind."""
        if dimension == Dimension.CHANNEL:
            return self.by_channel
        if dimension == Dimension.KIND:
            return self.by_kind
        raise ValueError(f"weeks are counted by channel and by kind, not by {dimension}")


@dataclass(frozen=True)
class LawyerLoad:
    username: str
    open_cases: int
    within_deadline: int

    @property
    def share_within(self) -> float | None:
        return self.within_deadline / self.open_cases if self.open_cases else None


@dataclass(frozen=True)
class Dashboard:
    period: Period
    now: datetime
    weeks: tuple[WeekVolume, ...]
    received: int
    by_channel: dict[str, int]
    by_kind: dict[str, int]
    compliance: Compliance
    response: ResponseTimes
    response_by_channel: dict[str, ResponseTimes]
    callback_attempts: int
    callbacks_reached: int
    open_by_age: tuple[tuple[int, int], ...]  # (lower bound in days, open cases)
    at_risk: tuple[str, ...]
    at_risk_total: int
    breached: tuple[str, ...]
    breached_total: int
    unassigned_open: int
    lawyers: tuple[LawyerLoad, ...]
    capacity: Capacity

    @property
    def reach_rate(self) -> float | None:
        return self.callbacks_reached / self.callback_attempts if self.callback_attempts else None

    @property
    def open_total(self) -> int:
        return sum(count for _, count in self.open_by_age)


def build_dashboard(
    session: Session,
    settings: Settings,
    *,
    period: Period,
    now: datetime,
    line_ids: Collection[int] | None = None,
    calendar: Calendar | None = None,
) -> Dashboard:
    """The dashboard of the lines `line_ids` (None: every line): its weeks and today are those
    of `calendar` (the caller's; None: the deployment's first line's), each line's cases are
    counted on the days of its own calendar."""
    scope = Scope(
        calendar or figures_calendar(session),
        period,
        now,
        line_calendars=line_calendars(session),
    )
    by = (Dimension.WEEK, Dimension.CHANNEL, Dimension.KIND)
    counts = case_counts(session, scope, by, line_ids=line_ids)
    weeks = _weeks(scope, counts)
    by_channel: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for (_, channel, kind), metrics in counts.items():
        by_channel[str(channel)] += metrics[Metric.RECEIVED]
        by_kind[str(kind)] += metrics[Metric.RECEIVED]
        outcomes.update({name: count for name, count in metrics.items() if name != Metric.RECEIVED})
    histograms = response_histograms(session, scope, line_ids=line_ids)
    calls = callback_counts(session, scope, (), line_ids=line_ids).get((), Counter())
    at_risk, breached = _deadlines(session, settings, now, line_ids)
    return Dashboard(
        period=period,
        now=now,
        weeks=weeks,
        received=sum(by_channel.values()),
        by_channel=dict(by_channel),
        by_kind=dict(by_kind),
        compliance=Compliance.from_counts(outcomes),
        response=ResponseTimes.from_histograms(histograms),
        response_by_channel={  # in the order of the charts and the yearly report
            channel.value: ResponseTimes.from_histograms(histograms, channel.value)
            for channel in Channel
            if channel.value in histograms
        },
        callback_attempts=calls[Metric.CALLBACK_ATTEMPTS],
        callbacks_reached=calls[Metric.CALLBACK_REACHED],
        open_by_age=_open_by_age(session, now, line_ids),
        at_risk=at_risk.references,
        at_risk_total=at_risk.total,
        breached=breached.references,
        breached_total=breached.total,
        unassigned_open=_unassigned_open(session, line_ids),
        lawyers=_lawyer_loads(session, now, line_ids),
        capacity=capacity_figures(session, scope, line_ids=line_ids),
    )


def _weeks(scope: Scope, counts: Counts) -> tuple[WeekVolume, ...]:
    channels: dict[date, Counter[str]] = {monday: Counter() for monday in scope.period.weeks()}
    kinds: dict[date, Counter[str]] = {monday: Counter() for monday in scope.period.weeks()}
    outcomes: dict[date, Counter[str]] = {monday: Counter() for monday in scope.period.weeks()}
    for (week, channel, kind), metrics in counts.items():
        monday = date.fromisoformat(str(week))
        channels[monday][str(channel)] += metrics[Metric.RECEIVED]
        kinds[monday][str(kind)] += metrics[Metric.RECEIVED]
        outcomes[monday].update(metrics)
    return tuple(
        WeekVolume(
            monday,
            dict(channels[monday]),
            dict(kinds[monday]),
            Compliance.from_counts(outcomes[monday]),
        )
        for monday in sorted(channels)
    )


# --- the state of things now -------------------------------------------------------------------

_OPEN = Case.status != CaseStatus.CLOSED


def _within_deadline(now: datetime) -> ColumnElement[bool]:
    """Answered in time, or not answered yet with the deadline still ahead."""
    return case(
        (Case.first_response_at.is_not(None), Case.first_response_at <= Case.callback_due_at),
        else_=Case.callback_due_at > now,
    )


def _open_by_age(
    session: Session, now: datetime, line_ids: Collection[int] | None
) -> tuple[tuple[int, int], ...]:
    whens = [
        (Case.received_at > now - timedelta(days=lower), integer(index - 1))
        for index, lower in enumerate(AGE_BUCKETS_DAYS)
        if index > 0
    ]
    bucket = case(*whens, else_=integer(len(AGE_BUCKETS_DAYS) - 1)).label("bucket")
    rows = select(bucket).where(_OPEN, *of_lines(Case.line_id, line_ids)).subquery()
    found: dict[int, int] = {
        int(index): int(count)
        for index, count in session.execute(
            select(rows.c.bucket, func.count()).group_by(rows.c.bucket)
        )
    }
    return tuple((lower, int(found.get(index, 0))) for index, lower in enumerate(AGE_BUCKETS_DAYS))


@dataclass(frozen=True)
class References:
    references: tuple[str, ...]  # the first REFERENCE_LIMIT, soonest deadline first
    total: int


def _deadlines(
    session: Session, settings: Settings, now: datetime, line_ids: Collection[int] | None
) -> tuple[References, References]:
    """Open cases not answered yet: deadline within the at-risk window, and deadline passed."""
    of_these = of_lines(Case.line_id, line_ids)
    return (
        _references(session, and_(deadlines.at_risk(session, settings, now), *of_these)),
        _references(session, and_(deadlines.overdue(now), *of_these)),
    )


def _references(session: Session, condition: ColumnElement[bool]) -> References:
    references = session.scalars(
        select(Case.reference)
        .where(condition)
        .order_by(Case.callback_due_at, Case.reference)
        .limit(REFERENCE_LIMIT)
    ).all()
    total = session.scalar(select(func.count()).select_from(Case).where(condition))
    return References(tuple(references), int(total or 0))


def _unassigned_open(session: Session, line_ids: Collection[int] | None) -> int:
    query = (
        select(func.count())
        .select_from(Case)
        .where(_OPEN, Case.assigned_lawyer_id.is_(None), *of_lines(Case.line_id, line_ids))
    )
    return int(session.scalar(query) or 0)


def _lawyer_loads(
    session: Session, now: datetime, line_ids: Collection[int] | None
) -> tuple[LawyerLoad, ...]:
    """Active lawyers of the lines (None: every lawyer), their own or given them, with their
    open cases of the lines."""
    within = case((_within_deadline(now), integer(1)), else_=integer(0))
    of_these = of_lines(Case.line_id, line_ids)
    query = (
        select(Staff.username, func.count(Case.id), func.coalesce(func.sum(within), 0))
        .select_from(Staff)
        .outerjoin(Case, and_(Case.assigned_lawyer_id == Staff.id, _OPEN, *of_these))
        .where(
            Staff.role == Role.LAWYER,
            Staff.active.is_(True),
            *([] if line_ids is None else [works_on_lines(line_ids)]),
        )
        .group_by(Staff.id, Staff.username)
        .order_by(func.count(Case.id).desc(), Staff.username)
    )
    return tuple(
        LawyerLoad(username, int(open_cases), int(within_deadline))
        for username, open_cases, within_deadline in session.execute(query)
    )
