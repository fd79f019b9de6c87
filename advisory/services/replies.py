"""A lawyer's reply to the reporter: sealed to the reporter's key before it gets here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

import crypto
from advisory.models import Case, CaseStatus, Direction, Message, Staff


class ReplyError(ValueError):
    """The reply cannot be stored as given; the message says why."""


def record_reply(
    session: Session, *, case: Case, envelope: str, author: Staff, now: datetime
) -> Message:
    """Store a reply envelope; the first reply is the case's first response (flush only)."""
    if case.status == CaseStatus.CLOSED:
        raise ReplyError("The case is closed.")
    if case.reporter_public_key is None:
        raise ReplyError("This case has no reply key (it came in by phone).")
    try:
        crypto.parse_envelope(envelope)
    except crypto.CryptoError as exc:
        raise ReplyError("The reply did not arrive sealed; nothing was stored.") from exc
    message = Message(
        case=case,
        direction=Direction.TO_REPORTER,
        envelope=envelope,
        author_staff_id=author.id,
        created_at=now,
    )
    session.add(message)
    if case.first_response_at is None:
        case.first_response_at = now
    case.status = CaseStatus.AWAITING_REPORTER
    session.flush()
    return message
