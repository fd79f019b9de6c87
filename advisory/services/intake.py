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
from advisory.models import Case, Channel, ContactPreference, Line, LineKey
from advisory.services.assignment import pick_assignee
from advisory.services.callbacks import Booking, book_callback
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
    """The key reports are sealed to: the newest unretired key of the first line (one query)."""
    key = session.scalars(
        select(LineKey)
        .join(Line)
        .where(LineKey.retired_at.is_(None))
        .order_by(Line.id, LineKey.id.desc())
        .limit(1)
    ).first()
    if key is None:
        raise IntakeError("The line is not ready to take reports yet.")
    return key


def accept_envelope(session: Session, envelope: str, active: LineKey) -> str:
    """An envelope from a browser must be well-formed and sealed to one of the line's keys.

    Pages seal to the active key; an older key (a page loaded before a rotation) is looked up.
    """
    try:
        key_id = crypto.envelope_key_id(envelope)
    except crypto.CryptoError:
        raise IntakeError("The encrypted text arrived damaged; please send it again.") from None
    if key_id == active.key_id:
        return envelope
    known = session.scalars(select(LineKey.id).where(LineKey.key_id == key_id)).first()
    if known is None:
        raise IntakeError("The page used an old key; reload it and send again.")
    return envelope


def submit_case(
    session: Session,
    settings: Settings,
    *,
    line_key: LineKey,
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
    key = line_key
    policy = triage.TriagePolicy(p1_target=timedelta(hours=settings.p1_target_opening_hours))
    priority = triage.priority(answers, policy)
    assignee = pick_assignee(session, line_id=key.line_id, now=now, calendar=settings.calendar)
    case = Case(
        reference=crypto.generate_reference(),
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
    # No look-ups first: the unique indexes decide, inside a savepoint. A clash on the form
    # token is the same form sent again (answer with its case); one on the reference is a
    # rare random collision (draw another).
    for _ in range(_REFERENCE_ATTEMPTS):
        try:
            with session.begin_nested():
                session.add(case)
            break
        except IntegrityError:
            if case in session:
                session.expunge(case)
            earlier = _case_for_token(session, token_hmac)
            if earlier is not None:
                return Submission(earlier, duplicate=True, booking=None)
            case.reference = crypto.generate_reference()
    else:
        raise IntakeError("Could not allocate a case reference; please try again.")

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
