"""The follow-up inbox: everything here is POST, so a case code never lands in a URL."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar, cast

from flask import render_template
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from advisory.context import current_settings, data_key, db_session, key_directory, now
from advisory.file_types import ACCEPT_ATTRIBUTE
from advisory.models import Case, CaseStatus
from advisory.ratelimit import count_failed_lookup
from advisory.reporter.credentials import Credential, CredentialError, credential_from
from advisory.reporter.forms import CaseCodeForm, EraseForm, MessageForm, RebookForm
from advisory.reporter.inbox_files import ReplyFileForm, file_answer, listed_reply_files
from advisory.reporter.refusals import attachment_refusal, intake_refusal, sealed_refusal
from advisory.reporter.routes import bp
from advisory.services import sealing
from advisory.services.attachments import AttachmentRefused
from advisory.services.callbacks import (
    BookingConflict,
    SlotProblem,
    SlotUnavailable,
    free_slots,
)
from advisory.services.follow_up import (
    Evidence,
    SealedMessage,
    booked_callback,
    cancel_callback,
    erase_case,
    find_case,
    rebook_callback,
    send_reporter_message,
)
from advisory.services.intake import IntakeError
from advisory.services.line_settings import line_config
from advisory.services.reply_signatures import reply_origins
from advisory.services.sealed_input import SealedInputRefused
from advisory.slots import Slot, parse_slot_start
from advisory.transaction import unit_of_work

Page = tuple[str, int] | str
F = TypeVar("F", bound=CaseCodeForm)
A = TypeVar("A")  # what the view answers: a page, or a file


def _opened_with(
    form_class: type[F],
) -> Callable[[Callable[[F, Case, Credential], A]], Callable[[], A | Page]]:
    """Open the case a follow-up post names by its code, then run the view with it; an
    unknown or missing code gets the code page again, and only such a post counts against
    the lookup limit (advisory/ratelimit.py)."""

    def decorate(view: Callable[[F, Case, Credential], A]) -> Callable[[], A | Page]:
        @functools.wraps(view)
        def opened() -> A | Page:
            form = form_class()
            case, credential, problem = _case_from(form)
            if case is None or credential is None:
                count_failed_lookup()
                return _code_page(form, problem), 400
            return view(form, case, credential)

        return opened

    return decorate


@bp.get("/follow-up")
def follow_up() -> str:
    return render_template("reporter/follow_up.html", form=CaseCodeForm())


@bp.post("/follow-up")
@_opened_with(CaseCodeForm)
def open_inbox(form: CaseCodeForm, case: Case, credential: Credential) -> Page:
    return _inbox(case, credential)


@bp.post("/follow-up/message")
@_opened_with(MessageForm)
def send_message(form: MessageForm, case: Case, credential: Credential) -> Page:
    text = (form.message.data or "").strip()
    evidence = _evidence(form)
    has_files = bool(evidence.files or evidence.claims)
    if not form.validate() or not (text or form.message_envelope.data or has_files):
        problem = _first_error(form) or _("Please write a message first.")
        return _inbox(case, credential, message_error=problem, message_form=form), 400
    with unit_of_work(SealedInputRefused, IntakeError, AttachmentRefused) as work:
        send_reporter_message(
            db_session(),
            key_directory(),
            case,
            sealed=_sealed_message(form),
            text=text,
            now=now(),
            evidence=evidence,
        )
    if work.refusal is not None:
        return _inbox(
            case, credential, message_error=_message_refusal(work.refusal), message_form=form
        ), 400
    return _inbox(case, credential, notice=_("Your message was sent."))


def _evidence(form: MessageForm) -> Evidence:
    settings = current_settings()
    pepper = settings.secrets.pepper if settings.secrets else b""
    # Uploaded sealed and named as claims (JavaScript), or posted as files (without it):
    # one or the other, so the limits hold for the message as a whole.
    claims = form.claims()
    files = () if claims else form.arrived_files()
    return Evidence(pepper, settings.attachments, files=files, claims=claims)


def _message_refusal(refusal: Exception) -> str:
    if isinstance(refusal, SealedInputRefused):
        return sealed_refusal(refusal)
    if isinstance(refusal, AttachmentRefused):
        return attachment_refusal(refusal, current_settings().attachments)
    return intake_refusal(cast(IntakeError, refusal))


@bp.post("/follow-up/file")
@_opened_with(ReplyFileForm)
def reply_file(form: ReplyFileForm, case: Case, credential: Credential) -> Response | Page:
    """A file a lawyer sent with a reply: sealed for the browser, or opened with the code
    (advisory/reporter/inbox_files.py)."""
    answer = file_answer(form, case, credential)
    if answer is None:
        problem = _("This file could not be opened with your case code.")
        return _inbox(case, credential, file_error=problem), 404
    return answer


@bp.post("/follow-up/callback/cancel")
@_opened_with(CaseCodeForm)
def cancel(form: CaseCodeForm, case: Case, credential: Credential) -> Page:
    with unit_of_work():
        cancelled = cancel_callback(db_session(), case, now())
    notice = _("The callback is cancelled and your number deleted.") if cancelled else None
    return _inbox(case, credential, notice=notice)


@bp.post("/follow-up/callback/rebook")
@_opened_with(RebookForm)
def rebook(form: RebookForm, case: Case, credential: Credential) -> Page:
    slot_start = parse_slot_start(form.slot.data or "")
    with unit_of_work(SlotUnavailable, BookingConflict) as work:
        if slot_start is None:
            raise SlotUnavailable(SlotProblem.TAKEN)
        rebook_callback(db_session(), current_settings(), case, slot_start, now())
    if work.refusal is not None:
        problem = (
            _("Someone took that time just now; please choose another.")
            if isinstance(work.refusal, BookingConflict)
            else _("That time is no longer free; please choose another.")
        )
        return _inbox(case, credential, rebook_error=problem), 409
    return _inbox(case, credential, notice=_("Your callback has a new time."))


@bp.post("/follow-up/erase")
@_opened_with(EraseForm)
def erase(form: EraseForm, case: Case, credential: Credential) -> Page:
    if form.confirm.data != "yes":
        return render_template("reporter/erase_confirm.html", credential=credential)
    with unit_of_work():
        erase_case(db_session(), current_settings(), case)
    return render_template("reporter/erased.html")


def _case_from(form: CaseCodeForm) -> tuple[Case | None, Credential | None, str]:
    # Only the credential is checked here: a message that is too long is the next step's
    # problem, answered in the inbox with the message kept.
    credential_fields = (form.code, form.lookup_token)
    if not (form.is_submitted() and all(field.validate(form) for field in credential_fields)):
        return None, None, _("Please type your case code.")
    try:
        credential = credential_from(form.code.data, form.lookup_token.data)
    except CredentialError as exc:
        return None, None, str(exc)
    secrets = current_settings().secrets
    not_found = _("We could not find a case with that code. Check it and try again.")
    if secrets is None:
        return None, None, not_found
    case = find_case(db_session(), secrets.pepper, credential.lookup_token)
    return case, credential, not_found


def _code_page(form: CaseCodeForm, problem: str) -> str:
    # A fresh, empty form: the typed code is never echoed, so every refusal reads the same.
    return render_template(
        "reporter/follow_up.html", form=CaseCodeForm(formdata=None), problem=problem
    )


def _inbox(
    case: Case,
    credential: Credential,
    *,
    notice: str | None = None,
    message_error: str | None = None,
    rebook_error: str | None = None,
    file_error: str | None = None,
    message_form: MessageForm | None = None,
) -> str:
    # Without JavaScript the code came with the post: the server opens the reporter's texts
    # for this page only. With it, the browser opens them and the server sees no code.
    opened = sealing.open_for_reporter(credential.code, case) if credential.code else None
    callback = booked_callback(case)
    return render_template(
        "reporter/inbox.html",
        case=case,
        credential=credential,
        opened=opened,
        origins=reply_origins(case, data_key=data_key()),
        reply_files=listed_reply_files(case, credential.code),
        file_error=file_error,
        callback=callback,
        other_slots=_other_slots(case) if callback else [],
        rebook_error=rebook_error,
        closed=case.status == CaseStatus.CLOSED,
        notice=notice,
        message_error=message_error,
        message_form=_unsent(message_form),
        limits=current_settings().attachments,
        accept=ACCEPT_ATTRIBUTE,
    )


def _sealed_message(form: MessageForm) -> SealedMessage | None:
    """What the browser sealed, if it did: the message to the line and the reporter's copy."""
    if not form.message_envelope.data:
        return None
    return SealedMessage(form.message_envelope.data, form.message_copy_envelope.data or None)


def _unsent(form: MessageForm | None) -> MessageForm:
    """The message form to show: what was typed when it could not be sent, else empty."""
    kept = MessageForm(formdata=None)
    if form is not None and not form.message_envelope.data:
        kept.message.data = form.message.data
    return kept


def _first_error(form: MessageForm) -> str | None:
    for field in (form.message, form.message_envelope):
        if field.errors:
            return str(field.errors[0])
    return None


def _other_slots(case: Case) -> list[Slot]:
    """Free times of the case's line to move a callback to: before the deadline while it lies
    ahead, else soon."""
    session = db_session()
    line = line_config(session, case.line_id)
    moment = now()
    until = max(case.callback_due_at, moment + timedelta(days=2))
    after = moment + timedelta(minutes=15)
    return free_slots(session, line, line_id=case.line_id, after=after, until=until, limit=6)
