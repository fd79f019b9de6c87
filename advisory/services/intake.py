"""Taking in a report: triage, deadline, assignment, callback booking, in one flush.

The caller commits; only after that commit may the reporter see their case code
(invariant 5). The same form token sent twice returns the first case.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

import crypto
from advisory import triage
from advisory.line_config import LineConfig
from advisory.models import Case, CaseStatus, Channel, ContactPreference, LineKey
from advisory.redacted import Redacted
from advisory.services.assignment import pick_assignee
from advisory.services.callbacks import (
    Booking,
    SlotProblem,
    SlotUnavailable,
    answer_in_inbox_instead,
    book_callback,
)
from advisory.services.line_keys import active_line_key
from advisory.services.line_settings import line_config
from advisory.services.notifications import announce_new_case, tell_assignee
from advisory.upserts import OnConflict, adopt

_TOKEN_LABEL = b"advisory-line/v1/submission-token\x00"
_REFERENCE_ATTEMPTS = 8
_CASES = cast(Table, Case.__table__)
_INSERT_UNLESS_TAKEN = OnConflict(
    lambda insert: insert(_CASES).on_conflict_do_nothing().returning(_CASES.c.id)
)


class IntakeProblem(StrEnum):
    """Why a report or message was refused; the reporter pages word it in the reader's language."""

    NOT_READY = "not_ready"  # the line has no key yet
    NO_REFERENCE = "no_reference"  # every drawn reference was taken


class IntakeError(Exception):
    """A report or message the line cannot take as sent; `problem` says why."""

    def __init__(self, problem: IntakeProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, repr=False)
class ReporterKeys(Redacted):
    """What the case code gives the server: the lookup token and the reply public key."""

    lookup_token: bytes
    public_key: str  # base64url, 32 raw bytes


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


def line_public_key(session: Session, line_id: int) -> LineKey:
    """The key reports to line `line_id` are sealed to: its newest unretired key (one query)."""
    key = active_line_key(session, line_id)
    if key is None:
        raise IntakeError(IntakeProblem.NOT_READY)
    return key


def submit_case(
    session: Session,
    *,
    line_id: int,
    pepper: bytes,
    submission_token: str,
    answers: triage.Answers,
    narrative_envelope: str | None,
    reporter: ReporterKeys,
    contact: Contact,
    now: datetime,
    reporter_copy_envelope: str | None = None,
    channel: Channel = Channel.WEB,
    may_book_callback: bool = True,
    reference: str | None = None,
    line: LineConfig | None = None,
) -> Submission:
    """Store a new case (flush only), or find the one its form token already made.

    A callback is booked when asked for. When none can be (no place free in the booking
    horizon, or `may_book_callback` is False because this connection holds its share of
    places already) the report is stored all the same, to be answered in the secure inbox,
    and the coordinator is told: a report is never lost for want of a callback place.
    The lawyer it is assigned to is told so (the line is told of the case in `insert_case`).
    Its deadlines, assignee and callback slot follow the settings of its line, `line_id`:
    `line`, if the caller has read them already (the report page has, for its languages),
    else they are read here.
    """
    token_hmac = submission_token_hmac(pepper, submission_token)
    if line is None:
        line = line_config(session, line_id)
    triaged = triaged_columns(line, answers, now)
    assignee = pick_assignee(session, line_id=line_id, now=now, calendar=line.calendar)
    row = {
        **triaged,
        "line_id": line_id,
        "received_at": now,
        "channel": channel,
        **_reporter_columns(pepper, reporter, contact),
        "assigned_lawyer_id": assignee.id if assignee else None,
        "narrative_envelope": narrative_envelope,
        "reporter_copy_envelope": reporter_copy_envelope,
        "submission_token_hmac": token_hmac,
        "status": CaseStatus.NEW,
    }
    if reference is not None:
        row["reference"] = reference
    stored = insert_case(session, row, token_hmac)
    if stored is None:
        raise IntakeError(IntakeProblem.NO_REFERENCE)
    case = stored.case
    if stored.duplicate:
        return Submission(case, duplicate=True, booking=None)

    tell_assignee(session, case, f"intake:{case.reference}", now)
    booking = _book_or_answer_in_inbox(session, line, case, contact, now, may_book_callback)
    session.flush()
    return Submission(case, duplicate=False, booking=booking)


def _reporter_columns(pepper: bytes, reporter: ReporterKeys, contact: Contact) -> dict[str, Any]:
    """How the reporter is reached: the case code's lookup HMAC and reply key, the contact."""
    return {
        "contact_preference": contact.preference,
        "voicemail_ok": contact.voicemail_ok,
        "sms_ok": contact.sms_ok,
        "reporter_lookup_hmac": crypto.lookup_hmac(pepper, reporter.lookup_token),
        "reporter_public_key": reporter.public_key,
    }


def _book_or_answer_in_inbox(
    session: Session,
    line: LineConfig,
    case: Case,
    contact: Contact,
    now: datetime,
    may_book_callback: bool,
) -> Booking | None:
    """A callback when one was asked for and can be booked; else the inbox answers instead."""
    if contact.preference is not ContactPreference.CALLBACK:
        return None
    booking = _book_if_free(session, line, case, contact, now) if may_book_callback else None
    if booking is None:
        answer_in_inbox_instead(session, case, now=now)
    return booking


def _book_if_free(
    session: Session, line: LineConfig, case: Case, contact: Contact, now: datetime
) -> Booking | None:
    """The booking, or None when no place is free at all. A chosen time that was taken
    raises SlotUnavailable: the reporter picks another, nothing is stored yet."""
    try:
        return book_callback(
            session,
            case=case,
            now=now,
            contact_envelope=contact.contact_envelope,
            slot_start=contact.slot_start,
            line=line,
        )
    except SlotUnavailable as exc:
        if exc.problem is not SlotProblem.NONE_FREE:
            raise
        return None


def triaged_columns(line: LineConfig, answers: triage.Answers, now: datetime) -> dict[str, Any]:
    """A new case's questionnaire answers, its priority and its deadlines (web or phone), by
    the settings of the case's own line."""
    policy = triage.TriagePolicy(p1_target=timedelta(hours=line.p1_target_hours))
    priority = triage.priority(answers, policy)
    return {
        "kind": answers.kind,
        "reporter_role": answers.reporter_role,
        "ongoing": answers.ongoing,
        "immediate_danger": answers.immediate_danger,
        "dismissal_or_warning": answers.dismissal_or_warning,
        "happened": answers.happened,
        "field": answers.field,
        "preferred_language": answers.preferred_language,
        "priority": priority,
        "callback_due_at": line.calendar.callback_due(now),
        "internal_target_at": triage.internal_target(priority, now, line.calendar, policy),
    }


@dataclass(frozen=True)
class Stored:
    case: Case
    duplicate: bool  # the form token had been used: `case` is the earlier one, nothing new


def insert_case(
    session: Session,
    row: dict[str, Any],
    token_hmac: bytes,
    *,
    stored_at: datetime | None = None,
) -> Stored | None:
    """Insert `row` under its reference (or a fresh one), or find the case of its form token.

    No look-ups first: the unique indexes decide, in the INSERT itself. Nothing inserted
    means a clash: on the form token, the same form sent again (answer with its case); on
    the reference, a rare collision of 40 bits. A reference drawn here is drawn again; one
    the form named (what the browser sealed to) cannot change. None if nothing was stored.

    Every new case passes through here, whatever its channel, so this is where the line's
    lawyers are told of it (`announce_new_case`); the same form sent again announces nothing.
    The notice is dated `stored_at`, by default when the case was received (a case stored
    later than it came in, like a voicemail, passes the time it is recorded).
    """
    fixed = row.get("reference")
    for _ in range(1 if fixed else _REFERENCE_ATTEMPTS):
        case = _insert_unless_taken(
            session, {**row, "reference": fixed or crypto.generate_reference()}
        )
        if case is not None:
            announce_new_case(session, case, now=stored_at or row["received_at"])
            return Stored(case, duplicate=False)
        earlier = session.scalars(
            select(Case).where(Case.submission_token_hmac == token_hmac)
        ).first()
        if earlier is not None:
            return Stored(earlier, duplicate=True)
    return None


def _insert_unless_taken(session: Session, row: dict[str, Any]) -> Case | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new case, or None on a unique clash.

    One statement, no savepoint. Other constraints (not null, checks, foreign keys) still
    raise. On PostgreSQL a clash with a report still in flight waits for its commit. The
    statement is Core, not ORM (whose insert costs twice the CPU for this one row); the row
    then joins the session as the persistent Case it is, without being read back.
    """
    case_id = _INSERT_UNLESS_TAKEN.execute(session, row).scalar()
    return None if case_id is None else adopt(session, Case, row, case_id)
