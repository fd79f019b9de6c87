"""Booked callbacks over time: a reminder before the slot, and a missed one booked again.

A missed callback is re-booked up to `callback_max_attempts`; after that the coordinators are
told. Its phone number moves to the new booking, or is deleted when there is none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from advisory.line_config import LineConfig
from advisory.models import Callback, CallbackStatus, CaseStatus
from advisory.services.callbacks import SlotUnavailable, book_callback, release_place
from advisory.services.line_settings import all_lines, config_of
from advisory.services.notifications import NotificationKind, tell_case_team, tell_coordinators
from advisory.settings import Settings

logger = logging.getLogger(__name__)


def follow_up_callbacks(session: Session, settings: Settings, now: datetime) -> int:
    """Remind before a slot; re-book a missed callback. Returns how many callbacks changed."""
    changed = _remind(session, settings, now)
    missed_before = now - timedelta(minutes=settings.missed_grace_minutes)
    missed = session.scalars(
        select(Callback).where(
            Callback.status == CallbackStatus.BOOKED, Callback.slot_end <= missed_before
        )
    ).all()
    lines = {line.id: config_of(line) for line in all_lines(session)} if missed else {}
    for callback in missed:
        _handle_missed(session, settings, lines, callback, now)
    session.flush()
    return changed + len(missed)


def _remind(session: Session, settings: Settings, now: datetime) -> int:
    remind_from = now + timedelta(minutes=settings.reminder_minutes)
    upcoming = session.scalars(
        select(Callback).where(
            Callback.status == CallbackStatus.BOOKED,
            Callback.slot_start <= remind_from,
            Callback.slot_end > now,
        )
    )
    reminded = 0
    for callback in upcoming:
        key = f"reminder:{slot_key(callback)}"
        reminded += tell_case_team(
            session, callback.case, NotificationKind.CALLBACK_REMINDER, key, now
        )
    return reminded


def _handle_missed(
    session: Session,
    settings: Settings,
    lines: Mapping[int, LineConfig],
    callback: Callback,
    now: datetime,
) -> None:
    """Mark it missed and free its place; book the case's next attempt in a slot of its line."""
    case = callback.case
    callback.status = CallbackStatus.MISSED
    callback.outcome_at = now
    release_place(session, callback)
    envelope, callback.contact_envelope = callback.contact_envelope, None
    if case.status == CaseStatus.CLOSED:
        return
    if callback.attempts >= settings.callback_max_attempts:
        key = f"attempts-exhausted:{slot_key(callback)}"
        tell_coordinators(session, case, NotificationKind.CALLBACK_ATTEMPTS_EXHAUSTED, key, now)
        return
    try:
        book_callback(
            session,
            case=case,
            now=now,
            contact_envelope=envelope,
            attempts=callback.attempts + 1,
            line=lines[case.line_id],
        )
    except SlotUnavailable:
        logger.warning("no slot free to re-book a missed callback")
    key = f"missed:{slot_key(callback)}"
    tell_case_team(session, case, NotificationKind.CALLBACK_MISSED, key, now)


def slot_key(callback: Callback) -> str:
    """Case reference and slot: ids can be reused after deletion (SQLite), these cannot."""
    return f"{callback.case.reference}:{callback.slot_start:%Y%m%dT%H%M}"
