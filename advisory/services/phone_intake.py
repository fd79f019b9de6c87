"""A lawyer records a live phone call, or a message left on the line's voicemail, as a case,
in one flush (the request commits).

A call is a case like a web report, so it counts in every figure: channel phone, the same
questionnaire, priority from triage, the deadline from the calendar exactly as intake sets
it. The call itself is the first response, so `first_response_at` is the moment of saving.
There is no reporter key (the caller has no case code, so no inbox replies) and no phone
number anywhere: the caller rings again and quotes the reference if they want to.

The lawyer's note is content. With JavaScript the lawyer's browser seals it to the line key;
without, this module seals it on arrival, and the plaintext goes no further than this call.
The same form sent twice (a double click, a reload) records one case.

A voicemail is a case received when the message was LEFT, not when it was recorded: its
callback deadline is counted from then, so the figures show whether the promise of an answer
within one working day was kept. It is not answered yet, so it is new and assigned as a web
report is. A number the caller left is sealed like the note (in the browser, or here on
arrival) and kept only on its booked callback, which deletes it once the call is done, as for
a web callback. The mailbox is to be listened to within the first hour of every opening: a
message recorded more than one hour of opening time after it was left (`RECORD_WITHIN`) is
flagged to the coordinators, since part of its deadline went by before anyone knew of it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import crypto
from advisory import audit, triage
from advisory.hours import Calendar
from advisory.line_config import LineConfig
from advisory.models import (
    Case,
    CaseStatus,
    Channel,
    CloseOutcome,
    ContactPreference,
    LineKey,
    Staff,
)
from advisory.redacted import Redacted
from advisory.services.assignment import pick_assignee
from advisory.services.callbacks import SlotUnavailable, book_callback
from advisory.services.intake import (
    Stored,
    insert_case,
    submission_token_hmac,
    triaged_columns,
)
from advisory.services.line_keys import active_line_key
from advisory.services.line_membership import lawyer_line_ids
from advisory.services.line_settings import line_config
from advisory.services.notifications import NotificationKind, tell_assignee, tell_coordinators
from advisory.services.refusal import Refusal
from advisory.services.sealed_input import (
    SealedInputRefused,
    SealedProblem,
    line_of_key,
    sealed_for_line,
)
from advisory.services.sealing import TO_LINE, context, reference_for_form, seal_for_line

AUDIT_ACTION = "case.phone_intake"
VOICEMAIL_AUDIT_ACTION = "case.voicemail_intake"
NOTE_PURPOSE = "narrative"
NUMBER_PURPOSE = "contact"
# A voicemail recorded later than this much opening time after it was left is flagged.
RECORD_WITHIN = timedelta(hours=1)
# No mailbox keeps a message longer: an earlier day is a typing error, not a voicemail.
OLDEST_VOICEMAIL = timedelta(days=60)


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
class Sealable(Redacted):
    """Sealed in the lawyer's browser, or typed text the server seals now; or neither."""

    envelope: str | None = None
    plaintext: str | None = None


Note = Sealable  # the lawyer's note
Number = Sealable  # the number a caller left on the voicemail


@dataclass(frozen=True, kw_only=True)
class Intake:
    """What a lawyer records of any call: the answers, the note, the form's token."""

    answers: triage.Answers
    note: Note
    form_token: str  # the form's one-time token: the same form sent twice is one case


@dataclass(frozen=True, kw_only=True)
class PhoneCall(Intake):
    outcome: PhoneOutcome


@dataclass(frozen=True)
class RecordedCall:
    case: Case
    duplicate: bool  # this form had been sent before: nothing new was stored


def line_key_for(session: Session, lawyer: Staff, line_id: int | None = None) -> LineKey:
    """The key a note is sealed to: the active key of the line the call came in on, one of
    the lawyer's lines (`line_id`; None: their own line)."""
    lines = lawyer_line_ids(session, lawyer)
    if not lines or line_id is not None and line_id not in lines:
        raise PhoneIntakeError("no_line")
    key = active_line_key(session, lines[0] if line_id is None else line_id)
    if key is None:
        raise PhoneIntakeError("not_ready")
    return key


def opening_default(calendar: Calendar, now: datetime) -> PhoneOutcome:
    """The outcome the form starts with: advice given while the line (its `calendar`) is open;
    outside opening hours a call stays open for follow-up, so the team sees it when it opens."""
    return PhoneOutcome.ADVICE_GIVEN if calendar.is_open(now) else PhoneOutcome.FOLLOW_UP


def record_phone_call(
    session: Session,
    *,
    lawyer: Staff,
    call: PhoneCall,
    pepper: bytes,
    now: datetime,
    line_id: int | None = None,
) -> RecordedCall:
    """Store the call as a case of line `line_id` (one of `lawyer`'s; None: their own),
    assigned to them; audit it, and flush."""
    key = line_key_for(session, lawyer, line_id)
    line = line_config(session, key.line_id)
    reference = reference_for_form(pepper, call.form_token)
    where = context(key.line.slug, reference, TO_LINE)
    note_envelope = _sealed_note(session, key, call.note, where)
    token_hmac = submission_token_hmac(pepper, call.form_token)
    close_outcome = call.outcome.close_outcome
    row = {
        **triaged_columns(line, call.answers, now),
        "received_at": now,
        "channel": Channel.PHONE,
        # The caller reached us by phone; without a number nobody can call back, though.
        "contact_preference": ContactPreference.CALLBACK,
        "status": CaseStatus.CLOSED if close_outcome else CaseStatus.IN_PROGRESS,
        "close_outcome": close_outcome,
        "closed_at": now if close_outcome else None,
        "retention_until": now + timedelta(days=line.retention_days) if close_outcome else None,
        "assigned_lawyer_id": lawyer.id,
        "first_response_at": now,  # the call is the response
        **_sealed_columns(key, reference, note_envelope, token_hmac),
    }
    stored = _inserted(session, row, now)
    case = stored.case
    if stored.duplicate:
        return RecordedCall(case, duplicate=True)

    recorded: audit.Detail = {"outcome": call.outcome.value, "priority": row["priority"]}
    audit.record_for_case(
        session, case, action=AUDIT_ACTION, now=now, actor=lawyer, detail=recorded
    )
    return RecordedCall(case, duplicate=False)


def _sealed_columns(
    key: LineKey, reference: str, note_envelope: str | None, token_hmac: bytes
) -> dict[str, Any]:
    """What every case taken by phone has: its line, its reference (the one its note is sealed
    to), the sealed note and the form's token."""
    return {
        "line_id": key.line_id,
        "reference": reference,
        "narrative_envelope": note_envelope,
        "submission_token_hmac": token_hmac,
    }


def _inserted(session: Session, row: dict[str, Any], now: datetime) -> Stored:
    """The new case of `row`, or the one its form made before; refused without a reference.
    Its notice is dated when it was recorded: a voicemail is received when it was left."""
    stored = insert_case(session, row, row["submission_token_hmac"], stored_at=now)
    if stored is None:
        raise PhoneIntakeError("no_reference")
    return stored


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


def _accepted(session: Session, key: LineKey, envelope: str, purpose: str = NOTE_PURPOSE) -> str:
    """A browser's envelope must be well-formed and sealed to a key of the lawyer's line.

    The page seals to the active key; an older key of the same line (a page loaded before a
    rotation) is still readable to the line's lawyers, so it is accepted too.
    """
    try:
        return sealed_for_line(
            envelope, purpose, key.line_id, lambda key_id: line_of_key(session, key_id)
        )
    except SealedInputRefused as exc:
        reason = _REFUSED_AS[purpose].get(exc.problem, "unknown_key")
        raise PhoneIntakeError(reason) from None


# A browser's envelope that does not hold, by purpose: what the page says about it.
_REFUSED_AS = {
    NOTE_PURPOSE: {SealedProblem.TOO_LARGE: "note_too_long", SealedProblem.DAMAGED: "damaged"},
    NUMBER_PURPOSE: {
        SealedProblem.TOO_LARGE: "number_damaged",
        SealedProblem.DAMAGED: "number_damaged",
    },
}


# --- voicemail ---------------------------------------------------------------------------------


class LeftAtProblem(enum.StrEnum):
    """Why a voicemail cannot have been left when the form says."""

    FUTURE = "left_in_future"
    TOO_OLD = "left_too_long_ago"


@dataclass(frozen=True, kw_only=True)
class Voicemail(Intake):
    left_at: datetime  # when the caller left the message (aware)
    number: Number  # empty when the caller left none


@dataclass(frozen=True)
class RecordedVoicemail(RecordedCall):
    callback_at: datetime | None  # the booked callback, when a number was left and a place free
    number_left: bool  # the caller left a number (booked, or no place was free)
    late: bool  # recorded after RECORD_WITHIN of opening time: the coordinators were told


def left_at_problem(left_at: datetime, now: datetime) -> LeftAtProblem | None:
    """None if a message can have been left at `left_at`: not after now, nor too long ago."""
    if left_at > now:
        return LeftAtProblem.FUTURE
    if left_at < now - OLDEST_VOICEMAIL:
        return LeftAtProblem.TOO_OLD
    return None


def oldest_left_date(now: datetime, zone: ZoneInfo) -> date:
    """The earliest local day a voicemail recorded `now` can have been left on."""
    return (now - OLDEST_VOICEMAIL).astimezone(zone).date()


def recorded_late(calendar: Calendar, left_at: datetime, recorded_at: datetime) -> bool:
    """Whether the message waited more than `RECORD_WITHIN` of opening time to be recorded."""
    return recorded_at > calendar.add_opening_time(left_at, RECORD_WITHIN)


def record_voicemail(
    session: Session,
    *,
    lawyer: Staff,
    voicemail: Voicemail,
    pepper: bytes,
    now: datetime,
    line_id: int | None = None,
) -> RecordedVoicemail:
    """Store the message as a new case of line `line_id` (one of `lawyer`'s; None: their
    own) received when it was left, book a callback to the number if one was left, flag a
    late recording, audit it, and flush."""
    problem = left_at_problem(voicemail.left_at, now)
    if problem is not None:
        raise PhoneIntakeError(problem.value)
    key = line_key_for(session, lawyer, line_id)
    line = line_config(session, key.line_id)
    reference = reference_for_form(pepper, voicemail.form_token)
    where = context(key.line.slug, reference, TO_LINE)
    note_envelope = _sealed_note(session, key, voicemail.note, where)
    number_envelope = _sealed_number(session, key, voicemail.number, where)
    token_hmac = submission_token_hmac(pepper, voicemail.form_token)
    # Assigned as a web report is: to whoever is on duty now, or the whole team after hours.
    assignee = pick_assignee(session, line_id=key.line_id, now=now, calendar=line.calendar)
    row = {
        **triaged_columns(line, voicemail.answers, voicemail.left_at),
        "received_at": voicemail.left_at,
        "channel": Channel.VOICEMAIL,
        "contact_preference": ContactPreference.CALLBACK,
        "status": CaseStatus.NEW,
        "assigned_lawyer_id": assignee.id if assignee else None,
        **_sealed_columns(key, reference, note_envelope, token_hmac),
    }
    stored = _inserted(session, row, now)
    case = stored.case
    if stored.duplicate:
        return RecordedVoicemail(
            case, duplicate=True, callback_at=None, number_left=False, late=False
        )

    tell_assignee(session, case, f"intake:{case.reference}", now)
    callback_at = _booked_callback(session, line, case, number_envelope, now)
    late = recorded_late(line.calendar, voicemail.left_at, now)
    if late:
        key_of_event = f"voicemail-late:{case.reference}"
        tell_coordinators(
            session, case, NotificationKind.VOICEMAIL_RECORDED_LATE, key_of_event, now
        )
    recorded: audit.Detail = {
        "priority": row["priority"],
        "number": number_envelope is not None,
        "late": late,
    }
    audit.record_for_case(
        session, case, action=VOICEMAIL_AUDIT_ACTION, now=now, actor=lawyer, detail=recorded
    )
    return RecordedVoicemail(
        case,
        duplicate=False,
        callback_at=callback_at,
        number_left=number_envelope is not None,
        late=late,
    )


def _sealed_number(
    session: Session, key: LineKey, number: Number, where: crypto.EnvelopeContext
) -> str | None:
    if number.envelope:
        return _accepted(session, key, number.envelope, NUMBER_PURPOSE)
    typed = (number.plaintext or "").strip()
    if not typed:
        return None
    try:
        return seal_for_line(key, NUMBER_PURPOSE, typed, where)
    except crypto.CryptoError:  # longer than a number's envelope holds
        raise PhoneIntakeError("number_damaged") from None


def _booked_callback(
    session: Session, line: LineConfig, case: Case, number: str | None, now: datetime
) -> datetime | None:
    """The earliest free callback to the number left, which only its booking keeps.

    With no place free up to the booking horizon the number is not kept and the
    coordinators are told. A caller has no inbox to be answered in: the lawyer who recorded
    the message heard the number, and the page asks them to call it back themselves.
    """
    if number is None:
        return None
    try:
        booking = book_callback(session, case=case, now=now, contact_envelope=number, line=line)
    except SlotUnavailable:
        key_of_event = f"voicemail-unbooked:{case.reference}"
        tell_coordinators(session, case, NotificationKind.VOICEMAIL_UNBOOKED, key_of_event, now)
        return None
    return booking.callback.slot_start
