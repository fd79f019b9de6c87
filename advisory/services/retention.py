"""Retention: phone numbers go once no callback needs them, closed cases after the period,
receipt links and unclaimed evidence uploads once past their time.

A closed case is counted in the figures before it is deleted, so the yearly numbers survive
the case.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from advisory.models import Callback, CallbackStatus, Case, CaseStatus, ReceiptLink
from advisory.services.attachments import delete_expired_uploads
from advisory.services.line_settings import all_lines, config_of
from advisory.services.rollup import fold_by_line
from advisory.settings import Settings

logger = logging.getLogger(__name__)


def apply_retention(session: Session, settings: Settings, now: datetime) -> int:
    """Delete what is no longer needed; returns how many numbers and cases went. A closed
    case goes at the date promised when it closed, or sooner when its line's retention
    period is shortened (`settings` is the sweeps' common argument, not read here)."""
    numbers = _delete_unneeded_numbers(session)
    expired = _delete_expired_cases(session, now)
    session.execute(delete(ReceiptLink).where(ReceiptLink.expires_at <= now))
    delete_expired_uploads(session, now)
    session.flush()
    if numbers or expired:
        logger.info("retention: %d phone numbers and %d closed cases deleted", numbers, expired)
    return numbers + expired


def _delete_unneeded_numbers(session: Session) -> int:
    closed_cases = select(Case.id).where(Case.status == CaseStatus.CLOSED)
    result = session.execute(
        update(Callback)
        .where(
            Callback.contact_envelope.is_not(None),
            or_(Callback.status != CallbackStatus.BOOKED, Callback.case_id.in_(closed_cases)),
        )
        .values(contact_envelope=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _delete_expired_cases(session: Session, now: datetime) -> int:
    expired = session.scalars(
        select(Case).where(Case.status == CaseStatus.CLOSED, _past_retention(session, now))
    ).all()
    if not expired:
        return 0
    fold_by_line(session, expired)
    session.execute(
        delete(Case)
        .where(Case.id.in_([case.id for case in expired]))
        .execution_options(synchronize_session=False)
    )
    for case in expired:
        session.expunge(case)
    return len(expired)


def _past_retention(session: Session, now: datetime) -> ColumnElement[bool]:
    """Past the date promised when the case closed (`retention_until`), or closed longer ago
    than its line's retention period now (one query of lines): whichever comes first, so
    that a longer period set later never keeps a case past its promise, and a shorter one
    applies at once."""
    return or_(
        Case.retention_until <= now,
        *(
            and_(
                Case.line_id == line.id,
                Case.closed_at <= now - timedelta(days=config_of(line).retention_days),
            )
            for line in all_lines(session)
        ),
    )
