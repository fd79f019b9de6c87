"""Open cases still waiting for a first response, and which of them are near or past their
deadline: one definition for the scheduler's warnings and the coordinator's dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_

from advisory.models import Case, CaseStatus
from advisory.settings import Settings

UNANSWERED: ColumnElement[bool] = and_(
    Case.status != CaseStatus.CLOSED, Case.first_response_at.is_(None)
)


def at_risk(settings: Settings, now: datetime) -> ColumnElement[bool]:
    """Unanswered, and the deadline falls within the at-risk stretch of opening time."""
    until = settings.calendar.add_opening_time(now, timedelta(hours=settings.at_risk_opening_hours))
    return and_(UNANSWERED, Case.callback_due_at > now, Case.callback_due_at <= until)


def overdue(now: datetime) -> ColumnElement[bool]:
    """Unanswered, and the deadline has passed."""
    return and_(UNANSWERED, Case.callback_due_at <= now)
