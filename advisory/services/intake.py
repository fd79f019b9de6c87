"""Taking in a report: triage, deadline, assignment, callback booking, in one flush.

The caller commits; only after that commit may the reporter see their case code
(invariant 5). The same form token sent twice returns the first case.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import crypto
from advisory import triage
from advisory.models import Case, Channel, ContactPreference, LineKey
from advisory.services.assignment import pick_assignee
from advisory.services.callbacks import Booking, book_callback
from advisory.services.line_keys import active_line_key, default_line
from advisory.settings import Settings

_TOKEN_LABEL = b"advisory-line/v1/submission-token\x00"
_REFERENCE_ATTEMPTS = 8


class IntakeError(Exception):
    """The line cannot take reports right now (not initialised); the message is for people."""


@dataclass(frozen=True)
class ReporterKeys:
    """What the case code gives the server: the lookup token and the reply public key."""

    lookup_token: bytes
    public_key: str  # base64url, 32 raw bytes

    def __repr__(self) -> str:
        return "ReporterKeys(<hidden>)"


@dataclass(frozen=True)
class Contact:
    preference: ContactPreference
    contact_envelope: str | None = None  # the phone number, sealed
    voicemail_ok: bool | None = None
    sms_ok: bool | None = None
    slot_start: datetime | None = None  # None: the earliest free slot


@dataclass(frozen=True)
class Submission:
    case: Case
    duplicate: bool  # the same form had been sent before: nothing new was stored
    booking: Booking | None


def submission_token_hmac(pepper: bytes, token: str) -> bytes:
    return hmac.new(pepper, _TOKEN_LABEL + token.encode(), hashlib.sha256).digest()


def line_public_key(session: Session) -> LineKey:
    line = default_line(session)
    key = active_line_key(session, line) if line else None
    if key is None:
        raise IntakeError("The line is not ready to take reports yet.")
    return key


def accept_envelope(session: Session, envelope: str) -> str:
    """An envelope from a browser must be well-formed and sealed to one of the line's keys."""
    try:
        key_id = crypto.envelope_key_id(envelope)
    except crypto.CryptoError:
        raise IntakeError("The encrypted text arrived damaged; please send it again.") from None
    known = session.scalars(select(LineKey.id).where(LineKey.key_id == key_id)).first()
    if known is None:
        raise IntakeError("The page used an old key; reload it and send again.")
    return envelope


def submit_case(
    session: Session,
    settings: Settings,
    *,
    pepper: bytes,
    submission_token: str,
    answers: triage.Answers,
    narrative_envelope: str | None,
    reporter: ReporterKeys,
    contact: Contact,
    now: datetime,
    channel: Channel = Channel.WEB,
) -> Submission:
    token_hmac = submission_token_hmac(pepper, submission_token)
    earlier = _case_for_token(session, token_hmac)
    if earlier is not None:
        return Submission(earlier, duplicate=True, booking=None)

    key = line_public_key(session)
    policy = triage.TriagePolicy(p1_target=timedelta(hours=settings.p1_target_opening_hours))
    priority = triage.priority(answers, policy)
    assignee = pick_assignee(session, line_id=key.line_id, now=now, calendar=settings.calendar)
    case = Case(
        reference=_free_reference(session),
        line_id=key.line_id,
        received_at=now,
        channel=channel,
        kind=answers.kind,
        reporter_role=answers.reporter_role,
        ongoing=answers.ongoing,
        immediate_danger=answers.immediate_danger,
        dismissal_or_warning=answers.dismissal_or_warning,
        happened=answers.happened,
        field=answers.field,
        preferred_language=answers.preferred_language,
        contact_preference=contact.preference,
        voicemail_ok=contact.voicemail_ok,
        sms_ok=contact.sms_ok,
        priority=priority,
        assigned_lawyer_id=assignee.id if assignee else None,
        callback_due_at=settings.calendar.callback_due(now),
        internal_target_at=triage.internal_target(priority, now, settings.calendar, policy),
        reporter_lookup_hmac=crypto.lookup_hmac(pepper, reporter.lookup_token),
        reporter_public_key=reporter.public_key,
        narrative_envelope=narrative_envelope,
        submission_token_hmac=token_hmac,
    )
    try:
        with session.begin_nested():
            session.add(case)
    except IntegrityError:
        # A concurrent submit of the same form won the race: answer with its case.
        winner = _case_for_token(session, token_hmac)
        if winner is None:
            raise
        return Submission(winner, duplicate=True, booking=None)

    booking = None
    if contact.preference is ContactPreference.CALLBACK:
        booking = book_callback(
            session,
            settings,
            case=case,
            now=now,
            contact_envelope=contact.contact_envelope,
            slot_start=contact.slot_start,
        )
    session.flush()
    return Submission(case, duplicate=False, booking=booking)


def _case_for_token(session: Session, token_hmac: bytes) -> Case | None:
    return session.scalars(select(Case).where(Case.submission_token_hmac == token_hmac)).first()


def _free_reference(session: Session) -> str:
    """A random public reference not yet in use (40 bits: collisions are rare, not impossible)."""
    for _ in range(_REFERENCE_ATTEMPTS):
        reference = crypto.generate_reference()
        taken = session.scalars(select(Case.id).where(Case.reference == reference)).first()
        if taken is None:
            return reference
    raise IntakeError("Could not allocate a case reference; please try again.")
