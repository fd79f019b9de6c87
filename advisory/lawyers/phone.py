"""Phone intake: a lawyer records a live call, or a message left on the line's voicemail, as a
case on one page (works without JavaScript)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, g, redirect, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from advisory.auth.access import require_role
from advisory.context import current_settings, db_session, now
from advisory.lawyers import case_texts
from advisory.lawyers.phone_forms import (
    LEFT_AT_TEXTS,
    PhoneIntakeForm,
    VoicemailForm,
    intake_line_id,
    intake_lines,
    own_line,
)
from advisory.lawyers.routes import bp
from advisory.models import Role
from advisory.services import phone_intake as service
from advisory.services.callbacks import BookingConflict
from advisory.services.line_status import opening_summary
from advisory.services.sealing import reference_for_form
from advisory.transaction import unit_of_work

# Where a saved call leads: its case page.
CASE_PAGE = "queue.case_view"
Page = str | tuple[str, int]
IntakeForm = PhoneIntakeForm | VoicemailForm
R = TypeVar("R", bound=service.RecordedCall)


@bp.get("/queue/phone")
@require_role(Role.LAWYER)
def phone_intake() -> Page:
    form = PhoneIntakeForm(
        submission_token=secrets.token_urlsafe(24),
        outcome=service.opening_default(own_line().calendar, now()).value,
    )
    return _render(form)


@bp.post("/queue/phone")
@require_role(Role.LAWYER)
def submit_phone_intake() -> Response | Page:
    form = PhoneIntakeForm()

    def record(**common: Any) -> service.RecordedCall:
        return service.record_phone_call(call=form.call(), **common)

    return _save(form, record, _call_saved)


@bp.get("/queue/voicemail")
@require_role(Role.LAWYER)
def voicemail_intake() -> Page:
    # The form starts at this minute, in the line's time: the lawyer changes it to when the
    # mailbox says the message was left.
    local = now().astimezone(VoicemailForm.line_zone())
    form = VoicemailForm(
        submission_token=secrets.token_urlsafe(24),
        left_date=local.date(),
        left_time=local.time().replace(second=0, microsecond=0),
    )
    return _render(form)


@bp.post("/queue/voicemail")
@require_role(Role.LAWYER)
def submit_voicemail() -> Response | Page:
    form = VoicemailForm()

    def record(**common: Any) -> service.RecordedVoicemail:
        return service.record_voicemail(voicemail=form.voicemail(), **common)

    return _save(form, record, _voicemail_saved)


def _save(
    form: IntakeForm, record: Callable[..., R], confirmation: Callable[[R], str]
) -> Response | Page:
    """Check the form, store its case in one unit of work, and go on to the case.

    `record` runs the service on what the form holds (read only once it is valid), given the
    arguments every intake takes; `confirmation` words what was stored.
    """
    if not form.validate_on_submit():
        return _render(form, status=400)
    secrets_ = current_settings().secrets
    if secrets_ is None:
        return _render(form, reason="not_ready", status=503)
    with unit_of_work(service.PhoneIntakeError, BookingConflict) as work:
        recorded = record(
            session=db_session(),
            lawyer=g.staff,
            pepper=secrets_.pepper,
            now=now(),
            line_id=intake_line_id(),
        )
        reference, confirmed = recorded.case.reference, confirmation(recorded)
    if work.refusal is not None:
        refusal = work.refusal
        reason = refusal.args[0] if isinstance(refusal, service.PhoneIntakeError) else "busy"
        if reason == "no_reference":
            # Its reference was taken: a fresh form names a fresh one to seal to.
            form.submission_token.data = secrets.token_urlsafe(24)
        return _render(form, reason=reason, status=400)
    flash(confirmed)
    return redirect(url_for(CASE_PAGE, reference=reference), code=303)


def _call_saved(recorded: service.RecordedCall) -> str:
    return _("The call is saved as case %(reference)s.", reference=recorded.case.reference)


def _voicemail_saved(recorded: service.RecordedVoicemail) -> str:
    """The confirmation: the reference, the callback booked (or why none), a late recording."""
    reference = recorded.case.reference
    if recorded.callback_at is not None:
        when = format_datetime(recorded.callback_at, _("EEEE d MMMM, HH:mm"))
        text = _(
            "The voicemail is saved as case %(reference)s, with a callback booked for %(when)s.",
            reference=reference,
            when=when,
        )
    elif recorded.duplicate:
        text = _("The voicemail is saved as case %(reference)s.", reference=reference)
    elif recorded.number_left:
        text = _(
            "The voicemail is saved as case %(reference)s, but no callback place was free, so"
            " the number was not kept and the coordinator has been told. Please call the"
            " number back yourself.",
            reference=reference,
        )
    else:
        text = _(
            "The voicemail is saved as case %(reference)s; no number was left, so no callback"
            " is booked.",
            reference=reference,
        )
    if recorded.late:
        text += " " + _("It was recorded late, so the coordinator has been told.")
    return text


def _render(form: IntakeForm, *, reason: str | None = None, status: int = 200) -> Page:
    if reason is not None:
        form.form_errors.append(_refusal(reason))
    line_id = intake_line_id()
    try:
        key = service.line_key_for(db_session(), g.staff, line_id)
    except service.PhoneIntakeError as exc:
        key = None
        if exc.reason != reason:
            form.form_errors.append(_refusal(exc.reason))
    secrets_ = current_settings().secrets
    token = form.submission_token.data or ""
    moment = now()
    page = render_template(
        "queue/phone.html",
        form=form,
        voicemail=isinstance(form, VoicemailForm),
        line_key=key,
        line_id=line_id,
        lines=intake_lines(),
        reference=reference_for_form(secrets_.pepper, token) if secrets_ and token else "",
        hours=opening_summary(own_line().calendar, moment),
        today=moment.astimezone(VoicemailForm.line_zone()).date(),
        oldest=service.oldest_left_date(moment, VoicemailForm.line_zone()),
    )
    return (page, status) if status != 200 else page


def _refusal(reason: str) -> str:
    own = {
        "number_damaged": _("The encrypted number arrived damaged; please type it again."),
        "busy": _("Another callback was being booked at the same moment; please save again."),
        **{problem.value: str(text) for problem, text in LEFT_AT_TEXTS.items()},
    }
    if reason in own:
        return own[reason]
    return case_texts.refusal(reason, _("The call could not be saved; please try again."))
