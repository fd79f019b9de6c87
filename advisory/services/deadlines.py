"""Open cases still waiting for a first response, and which of them are near or past their
deadline: one definition for the scheduler's warnings and the coordinator's dashboard."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import Session

from advisory.models import Case, CaseStatus
from advisory.services.line_settings import all_lines, config_of
from advisory.settings import Settings

UNANSWERED: ColumnElement[bool] = and_(
    Case.status != CaseStatus.CLOSED, Case.first_response_at.is_(None)
)


def at_risk(session: Session, settings: Settings, now: datetime) -> ColumnElement[bool]:
    """Unanswered, and the deadline falls within the at-risk stretch of opening time, counted
    in the calendar of the case's own line (one condition per line, from one query of them)."""
    stretch = timedelta(hours=settings.at_risk_opening_hours)
    within = [
        and_(
            Case.line_id == line.id,
            Case.callback_due_at <= config_of(line).calendar.add_opening_time(now, stretch),
        )
        for line in all_lines(session)
    ]
    return and_(UNANSWERED, Case.callback_due_at > now, or_(false(), *within))


def overdue(now: datetime) -> ColumnElement[bool]:
    """Unanswered, and the deadline has passed."""
    return and_(UNANSWERED, Case.callback_due_at <= now)
