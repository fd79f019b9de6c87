"""Scheduler sweeps: idempotent passes over the database's state.

Every sweep looks at state, never at "events fired", so a sweep that crashed or a scheduler
that was down simply catches up at the next tick, and notifications are guarded by dedupe
keys so nothing is announced twice. Sweeps log counts, never case content.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from advisory.mailer import MailUnavailable, send_pending
from advisory.models import Callback, CallbackStatus, Case, CaseStatus, Role
from advisory.services import deadlines
from advisory.services.audit_anchors import send_daily_anchor
from advisory.services.callbacks import SlotUnavailable, book_callback, release_place
from advisory.services.notifications import NotificationKind, notify
from advisory.settings import Settings
from advisory.stats import fold_cases, fold_settled_cases

logger = logging.getLogger(__name__)

Sweep = Callable[[Session, Settings, datetime], int]


def sweep_deadlines(session: Session, settings: Settings, now: datetime) -> int:
    """Warn the assignee when a deadline is near; mark and report breaches once."""
    changed = 0
    for case in session.scalars(select(Case).where(deadlines.at_risk(settings, now))):
        if _notify_team(
            session, case, NotificationKind.DEADLINE_AT_RISK, f"at-risk:{case.reference}", now
        ):
            changed += 1

    # Breached: the deadline passed with no response, or the response came too late.
    breached = session.scalars(
        select(Case).where(
            Case.breached_at.is_(None),
            Case.callback_due_at <= now,
            or_(deadlines.UNANSWERED, Case.first_response_at > Case.callback_due_at),
        )
    )
    for case in breached:
        case.breached_at = case.callback_due_at
        notify(
            session,
            kind=NotificationKind.DEADLINE_BREACHED,
            dedupe_key=f"breached:{case.reference}",
            now=now,
            role=Role.COORDINATOR,
            case_reference=case.reference,
        )
        changed += 1
    session.flush()
    return changed


def sweep_callbacks(session: Session, settings: Settings, now: datetime) -> int:
    """Remind before a slot; re-book a missed callback, up to the attempt limit."""
    changed = 0
    remind_from = now + timedelta(minutes=settings.reminder_minutes)
    upcoming = session.scalars(
        select(Callback).where(
            Callback.status == CallbackStatus.BOOKED,
            Callback.slot_start <= remind_from,
            Callback.slot_end > now,
        )
    )
    for callback in upcoming:
        kind, key = NotificationKind.CALLBACK_REMINDER, f"reminder:{_slot_key(callback)}"
        if _notify_team(session, callback.case, kind, key, now):
            changed += 1

    missed_before = now - timedelta(minutes=settings.missed_grace_minutes)
    missed = session.scalars(
        select(Callback).where(
            Callback.status == CallbackStatus.BOOKED, Callback.slot_end <= missed_before
        )
    ).all()
    for callback in missed:
        _handle_missed(session, settings, callback, now)
        changed += 1
    session.flush()
    return changed


def _handle_missed(session: Session, settings: Settings, callback: Callback, now: datetime) -> None:
    case = callback.case
    callback.status = CallbackStatus.MISSED
    callback.outcome_at = now
    release_place(session, callback)
    envelope, callback.contact_envelope = callback.contact_envelope, None
    if case.status == CaseStatus.CLOSED:
        return
    if callback.attempts >= settings.callback_max_attempts:
        notify(
            session,
            kind=NotificationKind.CALLBACK_ATTEMPTS_EXHAUSTED,
            dedupe_key=f"attempts-exhausted:{_slot_key(callback)}",
            now=now,
            role=Role.COORDINATOR,
            case_reference=case.reference,
        )
        return
    try:
        book_callback(
            session,
            settings,
            case=case,
            now=now,
            contact_envelope=envelope,
            attempts=callback.attempts + 1,
        )
    except SlotUnavailable:
        logger.warning("no slot free to re-book a missed callback")
    _notify_team(
        session, case, NotificationKind.CALLBACK_MISSED, f"missed:{_slot_key(callback)}", now
    )


def sweep_retention(session: Session, settings: Settings, now: datetime) -> int:
    """Delete phone numbers once no callback needs them, and closed cases after retention."""
    closed_cases = select(Case.id).where(Case.status == CaseStatus.CLOSED)
    numbers = session.execute(
        update(Callback)
        .where(
            Callback.contact_envelope.is_not(None),
            or_(Callback.status != CallbackStatus.BOOKED, Callback.case_id.in_(closed_cases)),
        )
        .values(contact_envelope=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]

    cutoff = now - timedelta(days=settings.retention_days)
    expired = session.scalars(
        select(Case).where(Case.status == CaseStatus.CLOSED, Case.closed_at <= cutoff)
    ).all()
    fold_cases(session, expired, settings.calendar)
    if expired:
        session.execute(
            delete(Case)
            .where(Case.id.in_([case.id for case in expired]))
            .execution_options(synchronize_session=False)
        )
        for case in expired:
            session.expunge(case)
    session.flush()
    if numbers or expired:
        logger.info(
            "retention: %d phone numbers and %d closed cases deleted", numbers, len(expired)
        )
    return int(numbers) + len(expired)


def sweep_statistics(session: Session, settings: Settings, now: datetime) -> int:
    """Count closed cases in the daily and monthly figures, once their callbacks are settled."""
    return fold_settled_cases(session, settings.calendar)


def _slot_key(callback: Callback) -> str:
    """Case reference and slot: ids can be reused after deletion (SQLite), these cannot."""
    return f"{callback.case.reference}:{callback.slot_start:%Y%m%dT%H%M}"


def sweep_audit_anchor(session: Session, settings: Settings, now: datetime) -> int:
    """Once a day, note the audit log's head for the coordinators to keep (and mail it)."""
    return int(send_daily_anchor(session, now=now, timezone=settings.calendar.timezone))


def sweep_mail(session: Session, settings: Settings, now: datetime) -> int:
    """Send pending notifications by e-mail, if SMTP is configured (commits per message)."""
    if settings.smtp is None:
        return 0
    try:
        return send_pending(session, settings.smtp, now=now)
    except MailUnavailable as exc:
        logger.warning("mail server unavailable (%s); will retry", type(exc.__cause__).__name__)
        return 0


def _notify_team(
    session: Session, case: Case, kind: NotificationKind, dedupe_key: str, now: datetime
) -> bool:
    """The assigned lawyer, or every lawyer while the case is unassigned; True if new."""
    assignee = case.assigned_lawyer_id
    created = notify(
        session,
        kind=kind,
        dedupe_key=dedupe_key,
        now=now,
        staff_id=assignee,
        role=Role.LAWYER if assignee is None else None,
        case_reference=case.reference,
    )
    return created is not None


SWEEPS: dict[str, Sweep] = {
    "deadlines": sweep_deadlines,
    "callbacks": sweep_callbacks,
    "statistics": sweep_statistics,  # after callbacks: a missed one settles first
    "retention": sweep_retention,
    "audit_anchor": sweep_audit_anchor,
    "mail": sweep_mail,  # last: mails what the sweeps before it noted
}
