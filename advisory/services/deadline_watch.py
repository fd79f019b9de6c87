"""Deadlines as they near and pass: a warning to the case's team, a breach noted once.

Looks at state only (the deadlines and responses stored on cases), so running it twice, or
late, changes nothing that a single timely run would not have.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from advisory.models import Case
from advisory.services import deadlines
from advisory.services.notifications import NotificationKind, tell_case_team, tell_coordinators
from advisory.settings import Settings


def watch_deadlines(session: Session, settings: Settings, now: datetime) -> int:
    """Warn the team when a deadline is near; mark and report breaches once. Returns how many
    cases changed."""
    changed = _warn_at_risk(session, settings, now) + _mark_breached(session, now)
    session.flush()
    return changed


def _warn_at_risk(session: Session, settings: Settings, now: datetime) -> int:
    warned = 0
    for case in session.scalars(select(Case).where(deadlines.at_risk(session, settings, now))):
        key = f"at-risk:{case.reference}"
        warned += tell_case_team(session, case, NotificationKind.DEADLINE_AT_RISK, key, now)
    return warned


def _mark_breached(session: Session, now: datetime) -> int:
    """The deadline passed with no response, or the response came too late."""
    breached = session.scalars(
        select(Case).where(
            Case.breached_at.is_(None),
            Case.callback_due_at <= now,
            or_(deadlines.UNANSWERED, Case.first_response_at > Case.callback_due_at),
        )
    ).all()
    for case in breached:
        case.breached_at = case.callback_due_at
        key = f"breached:{case.reference}"
        tell_coordinators(session, case, NotificationKind.DEADLINE_BREACHED, key, now)
    return len(breached)
