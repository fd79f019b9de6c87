"""Figures read from the database at each scrape: exact however many processes and hosts
serve, because the database is what they all share.

Counts only, by the structured answers stored in clear (channel, kind, status); never a
reference, a code or anything a reporter wrote. Deadlines at risk and breached are the
scheduler's and the coordinator's own definitions (`services/deadlines.py`).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterable
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from advisory.models import Callback, Case
from advisory.scheduler_lock import last_heartbeat
from advisory.services import deadlines
from advisory.settings import Settings
from advisory.vocabulary import CallbackStatus, CaseStatus, Channel

logger = logging.getLogger(__name__)


def database_families(session: Session, settings: Settings, now: datetime) -> list[Metric]:
    """Every gauge read from the database; `advisory_database_up` 0 alone if it does not answer."""
    up = GaugeMetricFamily("advisory_database_up", "1 when the database answered this scrape.")
    try:
        families = [
            _cases(session),
            _callbacks(session),
            *_deadlines(session, settings, now),
            _scheduler_lag(session, now),
        ]
    except SQLAlchemyError:
        logger.warning("metrics: the database does not answer")
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [up, *families]


def _cases(session: Session) -> Metric:
    # No kind of case: scraped every few seconds, a count by kind would date one report's
    # kind to the minute, which the coordinator's figures (by day) never do.
    family = GaugeMetricFamily(
        "advisory_cases",
        "Cases stored now, by channel and status (closed ones leave with retention).",
        labels=("channel", "status"),
    )
    found = {
        (str(channel), str(status)): count
        for channel, status, count in session.execute(
            select(Case.channel, Case.status, func.count()).group_by(Case.channel, Case.status)
        )
    }
    for labels in itertools.product(_values(Channel), _values(CaseStatus)):
        family.add_metric(labels, found.get(labels, 0))
    return family


def _callbacks(session: Session) -> Metric:
    family = GaugeMetricFamily(
        "advisory_callbacks",
        "Callbacks stored now, by status.",
        labels=("status",),
    )
    found = {
        str(status): count
        for status, count in session.execute(
            select(Callback.status, func.count()).group_by(Callback.status)
        )
    }
    for status in _values(CallbackStatus):
        family.add_metric([status], found.get(status, 0))
    return family


def _deadlines(session: Session, settings: Settings, now: datetime) -> list[Metric]:
    """Deadlines at risk and breached, counted in one query."""
    at_risk, breached = session.execute(
        select(
            func.count().filter(deadlines.at_risk(session, settings, now)),
            func.count().filter(deadlines.overdue(now)),
        ).select_from(Case)
    ).one()
    return [
        GaugeMetricFamily(
            "advisory_deadlines_at_risk",
            "Open cases not yet answered whose deadline falls within the at-risk stretch of "
            "opening time (ADVISORY_AT_RISK_HOURS).",
            value=int(at_risk or 0),
        ),
        GaugeMetricFamily(
            "advisory_deadlines_breached",
            "Open cases not yet answered whose deadline has passed.",
            value=int(breached or 0),
        ),
    ]


def _scheduler_lag(session: Session, now: datetime) -> Metric:
    beat = last_heartbeat(session)
    return GaugeMetricFamily(
        "advisory_scheduler_lag_seconds",
        "Seconds since the scheduler holding the lock last beat (+Inf: no heartbeat yet).",
        value=math.inf if beat is None else (now - beat).total_seconds(),
    )


def _values(kind: Iterable[object]) -> list[str]:
    return [str(member) for member in kind]
