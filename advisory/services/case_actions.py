"""What a lawyer does with a case: take, give, decline, reply, change status, log calls, close.

Each verb checks what it can before changing anything, raises CaseActionError with a reason
the page can show, records an audit event (never content) and flushes; the request commits.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from advisory import audit
from advisory.models import (
    AuditEvent,
    Callback,
    CallbackStatus,
    Case,
    CaseDecline,
    CaseStatus,
    CloseOutcome,
    Message,
    Staff,
)
from advisory.redacted import Redacted
from advisory.services.assignment import reassign_after_decline
from advisory.services.attachments import Claim, claim_reply_uploads
from advisory.services.callbacks import release_place
from advisory.services.line_keys import active_line_key
from advisory.services.line_membership import lawyer_line_ids
from advisory.services.line_settings import line_config
from advisory.services.notifications import NotificationKind, tell_assignee, tell_lawyer
from advisory.services.refusal import Refusal
from advisory.services.replies import record_reply
from advisory.services.reply_signatures import SignatureError, check_reply_signature
from advisory.services.sealed_input import KeyDirectory, SealedInputRefused, sealed_to
from advisory.services.sealing import LINE_COPY, TO_REPORTER, case_context, seal_for_line
from advisory.services.staff_keys import holds_line_keys
from advisory.settings import AttachmentLimits


class CaseActionError(Refusal):
    """The action cannot be done as asked; `reason` names why for the page."""


class CallbackOutcome(enum.StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"


# A lawyer moves an open case between these; closing has its own verb.
SETTABLE_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_REPORTER)


def take_case(
    session: Session,
    case: Case,
    lawyer: Staff,
    *,
    now: datetime,
    take_over_from: int | None = None,
) -> None:
    """Take the case. One assigned to a colleague is taken over only when the lawyer
    confirmed taking it from that very colleague (`take_over_from`, their id): else, or when
    it moved to someone else meanwhile, "held_by_colleague". The colleague is told."""
    _require_open(case)
    holder = case.assigned_lawyer_id
    if holder == lawyer.id:
        return
    if holder is not None and holder != take_over_from:
        raise CaseActionError("held_by_colleague")
    case.assigned_lawyer_id = lawyer.id
    if case.status is CaseStatus.NEW:
        case.status = CaseStatus.IN_PROGRESS
    event = _record(session, case, lawyer, "case.taken", now)
    _tell_former_holder(session, case, holder, event.id, now)


def assign_case(session: Session, case: Case, lawyer: Staff, *, to: Staff, now: datetime) -> None:
    """Give the case to a colleague of its line (their own or one given them) who has not
    declined it; they are told,
    and so is the colleague who held it. Giving it to oneself is taking it (a colleague's
    case only with the take-over confirmation)."""
    _require_open(case)
    if to.id == lawyer.id:
        take_case(session, case, lawyer, now=now)
        return
    if not to.active or case.line_id not in lawyer_line_ids(session, to):
        raise CaseActionError("not_a_colleague")
    if has_declined(session, case, to):
        raise CaseActionError("declined_by_them")
    holder = case.assigned_lawyer_id
    case.assigned_lawyer_id = to.id
    event = _record(session, case, lawyer, "case.assigned", now, {"to": to.username})
    tell_assignee(session, case, f"event:{event.id}", now)
    if holder not in (lawyer.id, to.id):
        _tell_former_holder(session, case, holder, event.id, now)


def _tell_former_holder(
    session: Session, case: Case, holder: int | None, event_id: int, now: datetime
) -> None:
    """The lawyer a case was taken from hears of it (once per event)."""
    if holder is None:
        return
    kind, key = NotificationKind.CASE_TAKEN, f"taken:{event_id}"
    tell_lawyer(session, case, kind, staff_id=holder, dedupe_key=key, now=now)


def decline_case(session: Session, case: Case, lawyer: Staff, *, now: datetime) -> Staff | None:
    """Decline for a conflict of interest: the case moves on (to whoever is on duty by its
    line's calendar) and `lawyer` loses access to it."""
    _require_open(case)
    if case.assigned_lawyer_id not in (None, lawyer.id):
        raise CaseActionError("assigned_to_someone_else")
    earlier = set(
        session.scalars(select(CaseDecline.staff_id).where(CaseDecline.case_id == case.id))
    )
    session.add(CaseDecline(case_id=case.id, staff_id=lawyer.id, declined_at=now))
    calendar = line_config(session, case.line_id).calendar
    assignee = reassign_after_decline(session, case, lawyer, now, calendar, excluded_ids=earlier)
    _record(
        session,
        case,
        lawyer,
        "case.declined",
        now,
        {"to": assignee.username if assignee is not None else None},
    )
    return assignee


def has_declined(session: Session, case: Case, staff: Staff) -> bool:
    query = select(CaseDecline.id).where(
        CaseDecline.case_id == case.id, CaseDecline.staff_id == staff.id
    )
    return session.scalars(query).first() is not None


@dataclass(frozen=True)
class SealedReply:
    """A reply sealed in the lawyer's browser: to the reporter, and a copy to the line."""

    envelope: str
    line_copy_envelope: str
    signature: str = ""  # the author's, over `envelope`; none from a lawyer without a key


@dataclass(frozen=True, repr=False)
class TypedReply(Redacted):
    """A reply typed without JavaScript: plaintext, sealed here for this request only."""

    text: str


@dataclass(frozen=True, repr=False)
class ReplyFiles(Redacted):
    """Files with a reply, sealed and uploaded by the lawyer's browser: the uploads it names,
    each with its header sealed to the reporter and the line's copy."""

    pepper: bytes
    limits: AttachmentLimits
    claims: Sequence[Claim] = ()


def _reply_key(case: Case) -> X25519PublicKey:
    """The case's reply key, or why a written reply cannot be sealed to it."""
    if case.reporter_public_key is None:
        raise CaseActionError("no_reply_key")
    try:
        return crypto.public_key_from_text(case.reporter_public_key)
    except crypto.KeyFormatError:
        raise CaseActionError("reply_key_damaged") from None


def _checked_envelopes(
    session: Session,
    directory: KeyDirectory,
    case: Case,
    reply: SealedReply,
    reporter_key: X25519PublicKey,
) -> tuple[str, str]:
    """The browser's two envelopes: to exactly this reply key, and to a key of the line."""
    try:
        envelope = sealed_to(reply.envelope, "reply", reporter_key)
        copy = directory.sealed_for_line(session, reply.line_copy_envelope, "reply", case.line_id)
    except SealedInputRefused:
        raise CaseActionError("not_sealed") from None
    return envelope, copy


def _sealed_here(
    session: Session, case: Case, reply: TypedReply, reporter_key: X25519PublicKey
) -> tuple[str, str]:
    """A reply typed without JavaScript, sealed here for the reporter and for the line."""
    line_key = active_line_key(session, case.line_id)
    if line_key is None:
        raise CaseActionError("no_line_key")
    try:
        to_reporter = case_context(case, TO_REPORTER)
        envelope = crypto.seal("reply", reply.text, reporter_key, to_reporter)
        copy = seal_for_line(line_key, "reply", reply.text, case_context(case, LINE_COPY))
    except crypto.CryptoError:  # longer than an envelope holds
        raise CaseActionError("too_long") from None
    return envelope, copy


def send_reply(
    session: Session,
    directory: KeyDirectory,
    case: Case,
    lawyer: Staff,
    *,
    reply: SealedReply | TypedReply,
    now: datetime,
    data_key: bytes,
    files: ReplyFiles | None = None,
) -> Message:
    """Store a reply sealed to the reporter's key, with a copy sealed to the line's key, and
    the files it names joined to it (flush only: the reply and its files, or nothing).

    A reply from the browser of a lawyer with a signing key must carry their signature.

    An envelope from the browser must be sealed to exactly the case's reply key, and its
    copy to a key of the case's line; so must each file's header and its copy (else
    "file_not_sealed"). A file past the limits, or an upload that is not one of this case's
    reply uploads, raises AttachmentRefused. A reply key stored damaged (it predates the
    checks at intake) is named as such: the page says so instead of failing.
    """
    _require_open(case)
    reporter_key = _reply_key(case)
    signature = None
    if isinstance(reply, SealedReply):
        envelope, copy = _checked_envelopes(session, directory, case, reply, reporter_key)
        try:
            vetted = holds_line_keys(session, lawyer)
            signature = check_reply_signature(
                case, lawyer, envelope, reply.signature, vetted=vetted, data_key=data_key
            )
        except SignatureError:
            raise CaseActionError("bad_signature") from None
    else:
        envelope, copy = _sealed_here(session, case, reply, reporter_key)
    message = record_reply(session, case=case, envelope=envelope, author=lawyer, now=now)
    message.line_copy_envelope = copy
    if signature is not None:
        message.signature = signature.signature
        message.signer_key = signature.signer_key
        message.signature_mac = signature.mac
    if files is not None and files.claims:
        _claim_files(session, directory, case, message, files, reporter_key, now)
    if case.assigned_lawyer_id is None:
        case.assigned_lawyer_id = lawyer.id
    _record(session, case, lawyer, "case.replied", now)
    return message


def _claim_files(
    session: Session,
    directory: KeyDirectory,
    case: Case,
    message: Message,
    files: ReplyFiles,
    reporter_key: X25519PublicKey,
    now: datetime,
) -> None:
    """The reply's files join it: headers sealed to this reply key, copies to the line."""
    try:
        claim_reply_uploads(
            session,
            files.pepper,
            directory,
            files.limits,
            claims=files.claims,
            case=case,
            message=message,
            reporter_key=reporter_key,
            now=now,
        )
    except SealedInputRefused:
        raise CaseActionError("file_not_sealed") from None


def change_status(
    session: Session, case: Case, lawyer: Staff, *, status: CaseStatus, now: datetime
) -> None:
    _require_open(case)
    if status not in SETTABLE_STATUSES:
        raise CaseActionError("unknown_status")
    if status is case.status:
        return
    before = case.status
    case.status = status
    _record(session, case, lawyer, "case.status_changed", now, {"from": before, "to": status})


def close_case(
    session: Session,
    case: Case,
    lawyer: Staff,
    *,
    outcome: CloseOutcome,
    now: datetime,
) -> None:
    """Close with an outcome; booked callbacks are cancelled and every number deleted. The
    case is kept for the retention period of its line."""
    _require_open(case)
    for callback in _callbacks(session, case):
        if callback.status is CallbackStatus.BOOKED:
            callback.status = CallbackStatus.CANCELLED
            callback.outcome_at = now
            release_place(session, callback)
        callback.contact_envelope = None
    case.status = CaseStatus.CLOSED
    case.close_outcome = outcome
    case.closed_at = now
    case.retention_until = now + timedelta(days=line_config(session, case.line_id).retention_days)
    _record(session, case, lawyer, "case.closed", now, {"outcome": outcome})


def reveal_number(
    session: Session, case: Case, callback: Callback, lawyer: Staff, *, now: datetime
) -> str:
    """The sealed phone number of a booked callback, for the lawyer's browser; audited."""
    _require_open(case)
    if callback.case_id != case.id:
        raise CaseActionError("not_found")
    if callback.status is not CallbackStatus.BOOKED or callback.contact_envelope is None:
        raise CaseActionError("number_gone")
    _record(session, case, lawyer, "callback.number_revealed", now)
    return callback.contact_envelope


def log_callback_outcome(
    session: Session,
    case: Case,
    callback: Callback,
    lawyer: Staff,
    *,
    outcome: CallbackOutcome,
    now: datetime,
) -> None:
    """Log how the call went. The call is done either way, so the number is deleted now.

    A reached reporter is the case's first response. After no answer the reporter can book
    again from the follow-up page; the missed-callback sweep is for slots nobody logged.
    """
    _require_open(case)
    if callback.case_id != case.id:
        raise CaseActionError("not_found")
    if callback.status is not CallbackStatus.BOOKED:
        raise CaseActionError("already_logged")
    callback.status = CallbackStatus(outcome.value)
    callback.outcome_at = now
    callback.contact_envelope = None
    release_place(session, callback)
    if outcome is CallbackOutcome.REACHED:
        if case.first_response_at is None:
            case.first_response_at = now
        if case.status is CaseStatus.NEW:
            case.status = CaseStatus.IN_PROGRESS
    if case.assigned_lawyer_id is None:
        case.assigned_lawyer_id = lawyer.id
    _record(session, case, lawyer, "callback.logged", now, {"outcome": outcome})


def callback_of(session: Session, case: Case, callback_id: int) -> Callback | None:
    query = select(Callback).where(Callback.id == callback_id, Callback.case_id == case.id)
    return session.scalars(query).first()


def _callbacks(session: Session, case: Case) -> list[Callback]:
    return list(session.scalars(select(Callback).where(Callback.case_id == case.id)))


def _require_open(case: Case) -> None:
    if case.status is CaseStatus.CLOSED:
        raise CaseActionError("closed")


def _record(
    session: Session,
    case: Case,
    lawyer: Staff,
    action: str,
    now: datetime,
    detail: dict[str, str | None] | None = None,
) -> AuditEvent:
    return audit.record_for_case(session, case, action=action, now=now, actor=lawyer, detail=detail)
