"""What a reporter can do with their case code: read, write, change the callback, erase."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import crypto
from advisory.models import (
    Callback,
    CallbackStatus,
    Case,
    CaseStatus,
    Direction,
    Message,
    Notification,
)
from advisory.redacted import Redacted
from advisory.services import sealing
from advisory.services.attachment_sealing import ArrivedFile, seal_files, store_sealed
from advisory.services.attachments import Claim, claim_uploads, owner_of_case
from advisory.services.callbacks import (
    SlotProblem,
    SlotUnavailable,
    book_callback,
    release_place,
)
from advisory.services.intake import IntakeError, IntakeProblem
from advisory.services.line_keys import active_line_key
from advisory.services.rollup import fold_by_line
from advisory.services.sealed_input import KeyDirectory, reporter_copy
from advisory.settings import AttachmentLimits, Settings


def find_case(session: Session, pepper: bytes, lookup_token: bytes) -> Case | None:
    """One indexed lookup on the HMAC, whether or not the case exists (same work either way)."""
    digest = crypto.lookup_hmac(pepper, lookup_token)
    return session.scalars(select(Case).where(Case.reporter_lookup_hmac == digest)).first()


def send_reporter_message(
    session: Session,
    directory: KeyDirectory,
    case: Case,
    *,
    sealed: SealedMessage | None,
    text: str,
    now: datetime,
    evidence: Evidence | None = None,
) -> Message:
    """A message from the reporter: sealed in their browser to a key of the case's line (and
    to their own key, so they can reread it), or typed without JavaScript and sealed here
    both ways (flush only). Its evidence files join it: sealed here, or claimed from the
    browser's uploads.

    Raises SealedInputRefused for an envelope no page of ours could have sent,
    AttachmentRefused for a file, and IntakeError when the case's line has no key to seal
    to; nothing is stored then."""
    key = active_line_key(session, case.line_id)
    if key is None:
        raise IntakeError(IntakeProblem.NOT_READY)
    where = sealing.case_context(case, sealing.TO_LINE)
    files = seal_files(evidence.files, key, where, evidence.limits) if evidence else []
    if sealed is not None:
        envelope = directory.sealed_for_line(session, sealed.envelope, "message", case.line_id)
        copy = _own_copy(case, sealed.copy, envelope)
    else:
        envelope = sealing.seal_for_line(key, "message", text, where)
        copy = _sealed_copy(case, text)
    message = add_reporter_message(session, case, envelope, now, own_copy=copy)
    if evidence is not None:
        store_sealed(session, evidence.pepper, files, case=case, message=message, now=now)
        if evidence.claims:
            claim_uploads(
                session,
                evidence.pepper,
                directory,
                evidence.limits,
                owner=owner_of_case(evidence.pepper, case),
                claims=evidence.claims,
                case=case,
                message=message,
                now=now,
            )
    return message


@dataclass(frozen=True, repr=False)
class Evidence(Redacted):
    """Files with a message: posted without JavaScript (in memory), or uploaded sealed."""

    pepper: bytes
    limits: AttachmentLimits
    files: tuple[ArrivedFile, ...] = ()
    claims: tuple[Claim, ...] = ()


@dataclass(frozen=True, repr=False)
class SealedMessage(Redacted):
    """A message as the reporter's browser sealed it: to the line, and a copy to themselves."""

    envelope: str
    copy: str | None


def _own_copy(case: Case, copy: str | None, envelope: str) -> str | None:
    if case.reporter_public_key is None:
        return None
    return reporter_copy(copy, envelope, "message", case.reporter_public_key)


def _sealed_copy(case: Case, text: str) -> str | None:
    if case.reporter_public_key is None:
        return None
    where = sealing.case_context(case, sealing.REPORTER_COPY)
    return sealing.seal_for_reporter(case.reporter_public_key, "message", text, where)


def add_reporter_message(
    session: Session,
    case: Case,
    envelope: str,
    now: datetime,
    *,
    own_copy: str | None = None,
) -> Message:
    message = Message(
        case=case,
        direction=Direction.FROM_REPORTER,
        envelope=envelope,
        reporter_copy_envelope=own_copy,
        created_at=now,
    )
    session.add(message)
    if case.status == CaseStatus.AWAITING_REPORTER:
        case.status = CaseStatus.IN_PROGRESS
    session.flush()
    return message


def booked_callback(case: Case) -> Callback | None:
    return next((cb for cb in case.callbacks if cb.status == CallbackStatus.BOOKED), None)


def cancel_callback(session: Session, case: Case, now: datetime) -> bool:
    """Cancel the booked callback and delete the number at once."""
    callback = booked_callback(case)
    if callback is None:
        return False
    callback.status = CallbackStatus.CANCELLED
    callback.outcome_at = now
    callback.contact_envelope = None
    release_place(session, callback)
    session.flush()
    return True


def rebook_callback(
    session: Session, settings: Settings, case: Case, slot_start: datetime, now: datetime
) -> Callback:
    """Move the booked callback to another free slot of the case's line, keeping the (sealed)
    number. `settings` is not read: the line's own settings decide (the parameter goes once
    its caller, advisory/reporter/follow_up.py, stops passing it).

    Raises SlotUnavailable when the new slot is full; the old booking then stays as it was.
    """
    current = booked_callback(case)
    if current is None:
        raise SlotUnavailable(SlotProblem.NOTHING_BOOKED)
    booking = book_callback(
        session,
        case=case,
        now=now,
        contact_envelope=current.contact_envelope,
        slot_start=slot_start,
        attempts=current.attempts,
    )
    current.status = CallbackStatus.CANCELLED
    current.outcome_at = now
    current.contact_envelope = None
    release_place(session, current)
    session.flush()
    return booking.callback


def erase_case(session: Session, settings: Settings, case: Case) -> None:
    """Delete the case and everything under it; only anonymous aggregate counts remain, counted
    in its line's calendar. `settings` is not read (it goes as in `rebook_callback`)."""
    fold_by_line(session, [case])
    for callback in case.callbacks:
        if callback.status == CallbackStatus.BOOKED:
            release_place(session, callback)
    session.execute(delete(Notification).where(Notification.case_reference == case.reference))
    session.delete(case)
    session.flush()
