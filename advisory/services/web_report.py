"""A report from the web form, sealed in the browser or sealed here on arrival.

With JavaScript the browser sends envelopes, the case code's lookup token and the reply
public key; each is checked at the door (advisory/services/sealed_input.py) before anything
is stored. Without JavaScript the text and number pass through here in memory only: they are
sealed to the line key, and the case code is derived from the form's one-time token, so the
same form sent twice shows the same code. The caller commits, and only then sends the reporter
to the receipt, which shows the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.orm import Session

from advisory import triage
from advisory.line_config import LineConfig
from advisory.models import CallbackStatus, ContactPreference, LineKey
from advisory.redacted import Redacted
from advisory.services import receipt_links, sealing
from advisory.services.attachment_sealing import (
    ArrivedFile,
    SealedFile,
    seal_files,
    store_sealed,
)
from advisory.services.attachments import Claim, claim_uploads, owner_of_report
from advisory.services.intake import (
    Contact,
    ReporterKeys,
    Submission,
    line_public_key,
    submit_case,
)
from advisory.services.sealed_input import (
    KeyDirectory,
    checked_lookup_token,
    checked_public_key,
    reporter_copy,
)
from advisory.settings import Secrets, Settings

# A form sent again within this long shows its case code again (the reporter's connection
# may have dropped before the first answer arrived). Later, it says only that the report is
# stored: a form left in a shared browser's history must not give the code away for good.
CODE_AGAIN_WITHIN = timedelta(minutes=10)


@dataclass(frozen=True, repr=False)
class SealedInBrowser(Redacted):
    narrative_envelope: str | None
    narrative_copy_envelope: str | None  # the same text sealed to the reporter's own key
    contact_envelope: str | None
    lookup_token: str  # base64url, as the browser sent it
    public_key: str


@dataclass(frozen=True, repr=False)
class TypedText(Redacted):
    """What a reporter without JavaScript typed: plaintext, for this request only."""

    narrative: str
    phone: str


@dataclass(frozen=True)
class WebReport:
    submission_token: str
    answers: triage.Answers
    contact: Contact  # the choice; the sealed number is filled in here
    content: SealedInBrowser | TypedText
    files: tuple[ArrivedFile, ...] = ()  # evidence posted without JavaScript, in memory
    claims: tuple[Claim, ...] = ()  # evidence the browser uploaded sealed


@dataclass(frozen=True)
class Receipt:
    """The answer to a stored report: where its receipt is shown, or that it was sent before.

    `link` is the token of the receipt page (services/receipt_links), which shows a case code
    made here once; it is None for the same form sent again too late to show the code again.
    """

    link: str | None = field(repr=False)
    received_at: datetime


def receive_web_report(
    session: Session,
    settings: Settings,
    secrets: Secrets,
    directory: KeyDirectory,
    report: WebReport,
    *,
    may_book_callback: bool,
    now: datetime,
    line_id: int,
    line: LineConfig,
) -> Receipt:
    """Check, seal where needed and store a report to line `line_id` (flush only); where its
    receipt is shown after the commit. `line` holds its settings, which set the case's
    deadlines. Raises SealedInputRefused (an envelope not sealed to that line's keys),
    IntakeError or SlotUnavailable/BookingConflict (a chosen callback time was taken) or
    AttachmentRefused (a file) before anything is stored."""
    wants_callback = report.contact.preference is ContactPreference.CALLBACK
    reference = sealing.reference_for_form(secrets.pepper, report.submission_token)
    if isinstance(report.content, SealedInBrowser):
        contents = _from_browser(session, directory, report.content, line_id)
    else:
        contents = _sealed_here(session, secrets, report, reference, wants_callback, line_id)
    phone = contents.phone if wants_callback else None
    submission = submit_case(
        session,
        line_id=contents.line_id,
        pepper=secrets.pepper,
        submission_token=report.submission_token,
        answers=report.answers,
        narrative_envelope=contents.narrative,
        reporter_copy_envelope=contents.narrative_copy,
        reporter=contents.reporter,
        contact=replace(report.contact, contact_envelope=phone),
        may_book_callback=may_book_callback,
        now=now,
        reference=reference,
        line=line,
    )
    files: tuple[SealedFile, ...] = ()
    if not submission.duplicate:  # a form sent again brought its files the first time
        files = _keep_evidence(
            session, settings, secrets, directory, report, contents, submission, now
        )
    return _receipt(session, secrets.pepper, submission, contents, files, wants_callback, now)


def _keep_evidence(
    session: Session,
    settings: Settings,
    secrets: Secrets,
    directory: KeyDirectory,
    report: WebReport,
    contents: _Contents,
    submission: Submission,
    now: datetime,
) -> tuple[SealedFile, ...]:
    """The report's files join its case: sealed here (returned, for the receipt to say what
    was removed), or claimed from the browser's uploads. Raises AttachmentRefused (so the
    case is not stored either). Files are sealed only now: a form sent again is not."""
    case = submission.case
    sealed: tuple[SealedFile, ...] = ()
    if report.files and contents.key is not None:
        where = sealing.context(contents.key.line.slug, case.reference, sealing.TO_LINE)
        sealed = tuple(seal_files(report.files, contents.key, where, settings.attachments))
        store_sealed(session, secrets.pepper, sealed, case=case, now=now)
    if report.claims:
        claim_uploads(
            session,
            secrets.pepper,
            directory,
            settings.attachments,
            owner=owner_of_report(secrets.pepper, report.submission_token),
            claims=report.claims,
            case=case,
            now=now,
        )
    return sealed


@dataclass(frozen=True, repr=False)
class _Contents(Redacted):
    """A report's envelopes, its line and its reporter's keys, however they were sealed."""

    line_id: int
    narrative: str | None
    narrative_copy: str | None  # sealed to the reporter's key, for them to reread
    phone: str | None
    reporter: ReporterKeys
    code: str | None = None  # made here for a reporter without JavaScript
    key: LineKey | None = None  # what it was sealed to here (files are sealed to it too)


def _from_browser(
    session: Session, directory: KeyDirectory, content: SealedInBrowser, line_id: int
) -> _Contents:
    """What the browser sealed, checked: the envelopes must be to this line's keys."""
    reporter = ReporterKeys(
        checked_lookup_token(content.lookup_token), checked_public_key(content.public_key)
    )
    narrative = _sealed(session, directory, content.narrative_envelope, "narrative", line_id)
    copy = reporter_copy(
        content.narrative_copy_envelope, narrative, "narrative", reporter.public_key
    )
    phone = _sealed(session, directory, content.contact_envelope, "contact", line_id)
    return _Contents(line_id, narrative, copy, phone, reporter)


def _sealed_here(
    session: Session,
    secrets: Secrets,
    report: WebReport,
    reference: str,
    wants_callback: bool,
    line_id: int,
) -> _Contents:
    """What a reporter without JavaScript typed, sealed now; the case code is made here."""
    content = cast(TypedText, report.content)
    key = line_public_key(session, line_id)
    code = sealing.code_for_submission(secrets.data_key, report.submission_token)
    where = sealing.context(key.line.slug, reference, sealing.TO_LINE)
    reporter = sealing.reporter_keys(code)
    text = content.narrative.strip()
    narrative = copy = None
    if text:
        narrative = sealing.seal_for_line(key, "narrative", text, where)
        own = sealing.context(key.line.slug, reference, sealing.REPORTER_COPY)
        copy = sealing.seal_for_reporter(reporter.public_key, "narrative", text, own)
    # A number typed for a report answered in the inbox is not kept, nor even sealed.
    number = content.phone.strip() if wants_callback else ""
    phone = sealing.seal_for_line(key, "contact", number, where) if number else None
    return _Contents(key.line_id, narrative, copy, phone, reporter, code, key)


def _receipt(
    session: Session,
    pepper: bytes,
    submission: Submission,
    contents: _Contents,
    files: tuple[SealedFile, ...],
    wants_callback: bool,
    now: datetime,
) -> Receipt:
    """A link to the receipt; a report sent again gets one only while its code is fresh."""
    case = submission.case
    if submission.duplicate and now - case.received_at > CODE_AGAIN_WITHIN:
        return Receipt(link=None, received_at=case.received_at)
    if submission.duplicate:
        booked = any(cb.status == CallbackStatus.BOOKED for cb in case.callbacks)
    else:  # what was just booked, without reading it back
        booked = submission.booking is not None and submission.booking.callback is not None
    link = receipt_links.issue_link(
        session,
        pepper,
        case,
        code=contents.code,
        callback_unbooked=wants_callback and not booked,
        now=now,
        files=tuple(receipt_links.FileNote(file.removed, file.kept) for file in files),
    )
    return Receipt(link=link, received_at=case.received_at)


def _sealed(
    session: Session,
    directory: KeyDirectory,
    envelope: str | None,
    purpose: str,
    line_id: int,
) -> str | None:
    if not envelope:
        return None
    return directory.sealed_for_line(session, envelope, purpose, line_id)
