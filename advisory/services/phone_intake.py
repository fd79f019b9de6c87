"""A lawyer records a live phone call as a case, in one flush (the request commits).

A call is a case like a web report, so it counts in every figure: channel phone, the same
questionnaire, priority from triage, the deadline from the calendar exactly as intake sets
it. The call itself is the first response, so `first_response_at` is the moment of saving.
There is no reporter key (the caller has no case code, so no inbox replies) and no phone
number anywhere: the caller rings again and quotes the reference if they want to.

The lawyer's note is content. With JavaScript the lawyer's browser seals it to the line key;
without, this module seals it on arrival, and the plaintext goes no further than this call.
The same form sent twice (a double click, a reload) records one case.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

import crypto
from advisory import audit, triage
from advisory.models import (
    Case,
    CaseStatus,
    Channel,
    CloseOutcome,
    ContactPreference,
    LineKey,
    Role,
    Staff,
)
from advisory.redacted import Redacted
from advisory.services.intake import insert_case, submission_token_hmac, triaged_columns
from advisory.services.line_keys import active_line_key
from advisory.services.refusal import Refusal
from advisory.services.sealed_input import (
    SealedInputRefused,
    SealedProblem,
    line_of_key,
    sealed_for_line,
)
from advisory.services.sealing import TO_LINE, context, reference_for_form, seal_for_line
from advisory.settings import Settings

AUDIT_ACTION = "case.phone_intake"
NOTE_PURPOSE = "narrative"


class PhoneOutcome(enum.StrEnum):
    """How the call ended: closed at once with an outcome, or kept open for follow-up."""

    ADVICE_GIVEN = "advice_given"
    REFERRED = "referred"
    FOLLOW_UP = "follow_up"
    OTHER = "other"

    @property
    def close_outcome(self) -> CloseOutcome | None:
        return _CLOSING.get(self)


_CLOSING = {
    PhoneOutcome.ADVICE_GIVEN: CloseOutcome.ADVICE_GIVEN,
    PhoneOutcome.REFERRED: CloseOutcome.REFERRED,
    PhoneOutcome.OTHER: CloseOutcome.OTHER,
}


class PhoneIntakeError(Refusal):
    """The call cannot be recorded as sent; `reason` names why for the page."""


@dataclass(frozen=True, repr=False)
class Note(Redacted):
    """The lawyer's note: sealed in the browser, or typed text the server seals now."""

    envelope: str | None = None
    plaintext: str | None = None


@dataclass(frozen=True)
class PhoneCall:
    answers: triage.Answers
    outcome: PhoneOutcome
    note: Note
    form_token: str  # the form's one-time token: the same form sent twice is one case


@dataclass(frozen=True)
class RecordedCall:
    case: Case
    duplicate: bool  # this form had been sent before: nothing new was stored


def line_key_for(session: Session, lawyer: Staff) -> LineKey:
    """The key a note is sealed to: the active key of the lawyer's own line."""
    if lawyer.role is not Role.LAWYER or lawyer.line_id is None:
        raise PhoneIntakeError("no_line")
    key = active_line_key(session, lawyer.line_id)
    if key is None:
        raise PhoneIntakeError("not_ready")
    return key


def opening_default(settings: Settings, now: datetime) -> PhoneOutcome:
    """The outcome the form starts with: advice given while the line is open; outside opening
    hours a call stays open for follow-up, so the team sees it when the line opens."""
    return PhoneOutcome.ADVICE_GIVEN if settings.calendar.is_open(now) else PhoneOutcome.FOLLOW_UP


def record_phone_call(
    session: Session,
    settings: Settings,
    *,
    lawyer: Staff,
    call: PhoneCall,
    pepper: bytes,
    now: datetime,
) -> RecordedCall:
    """Store the call as a case assigned to `lawyer`, audit it, and flush."""
    key = line_key_for(session, lawyer)
    reference = reference_for_form(pepper, call.form_token)
    where = context(key.line.slug, reference, TO_LINE)
    note_envelope = _sealed_note(session, key, call.note, where)
    token_hmac = submission_token_hmac(pepper, call.form_token)
    close_outcome = call.outcome.close_outcome
    row = {
        **triaged_columns(settings, call.answers, now),
        "line_id": key.line_id,
        "received_at": now,
        "channel": Channel.PHONE,
        # The caller reached us by phone; without a number nobody can call back, though.
        "contact_preference": ContactPreference.CALLBACK,
        "status": CaseStatus.CLOSED if close_outcome else CaseStatus.IN_PROGRESS,
        "close_outcome": close_outcome,
        "closed_at": now if close_outcome else None,
        "retention_until": (
            now + timedelta(days=settings.retention_days) if close_outcome else None
        ),
        "assigned_lawyer_id": lawyer.id,
        "first_response_at": now,  # the call is the response
        "narrative_envelope": note_envelope,
        "submission_token_hmac": token_hmac,
        "reference": reference,
    }
    stored = insert_case(session, row, token_hmac)
    if stored is None:
        raise PhoneIntakeError("no_reference")
    case = stored.case
    if stored.duplicate:
        return RecordedCall(case, duplicate=True)

    recorded: audit.Detail = {"outcome": call.outcome.value, "priority": row["priority"]}
    audit.record_for_case(
        session, case, action=AUDIT_ACTION, now=now, actor=lawyer, detail=recorded
    )
    return RecordedCall(case, duplicate=False)


def _sealed_note(
    session: Session, key: LineKey, note: Note, where: crypto.EnvelopeContext
) -> str | None:
    if note.envelope:
        return _accepted(session, key, note.envelope)
    text = (note.plaintext or "").strip()
    if not text:
        return None
    try:
        return seal_for_line(key, NOTE_PURPOSE, text, where)
    except crypto.CryptoError:  # longer than an envelope holds
        raise PhoneIntakeError("note_too_long") from None


def _accepted(session: Session, key: LineKey, envelope: str) -> str:
    """A browser's envelope must be well-formed and sealed to a key of the lawyer's line.

    The page seals to the active key; an older key of the same line (a page loaded before a
    rotation) is still readable to the line's lawyers, so it is accepted too.
    """
    try:
        return sealed_for_line(
            envelope, NOTE_PURPOSE, key.line_id, lambda key_id: line_of_key(session, key_id)
        )
    except SealedInputRefused as exc:
        reasons = {SealedProblem.TOO_LARGE: "note_too_long", SealedProblem.DAMAGED: "damaged"}
        raise PhoneIntakeError(reasons.get(exc.problem, "unknown_key")) from None
