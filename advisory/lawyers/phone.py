"""Phone intake: a lawyer records a live call as a case on one page (works without JavaScript)."""

from __future__ import annotations

import secrets

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from advisory.auth.access import require_role
from advisory.context import current_settings, db_session, now
from advisory.lawyers import case_texts
from advisory.lawyers.phone_forms import PhoneIntakeForm
from advisory.lawyers.routes import bp
from advisory.models import Role
from advisory.services import phone_intake as service
from advisory.services.line_status import opening_summary
from advisory.services.sealing import reference_for_form
from advisory.transaction import unit_of_work

# Where a saved call leads: the case page once it exists, the queue until then.
CASE_PAGE = "queue.case_view"


@bp.get("/queue/phone")
@require_role(Role.LAWYER)
def phone_intake() -> str | tuple[str, int]:
    form = PhoneIntakeForm(
        submission_token=secrets.token_urlsafe(24),
        outcome=service.opening_default(current_settings(), now()).value,
    )
    return _render(form)


@bp.post("/queue/phone")
@require_role(Role.LAWYER)
def submit_phone_intake() -> Response | str | tuple[str, int]:
    form = PhoneIntakeForm()
    if not form.validate_on_submit():
        return _render(form, status=400)
    secrets_ = current_settings().secrets
    if secrets_ is None:
        return _render(form, reason="not_ready", status=503)
    with unit_of_work(service.PhoneIntakeError) as work:
        recorded = service.record_phone_call(
            db_session(),
            current_settings(),
            lawyer=g.staff,
            call=form.call(),
            pepper=secrets_.pepper,
            now=now(),
        )
    if work.refusal is not None:
        reason = work.refusal.args[0]
        if reason == "no_reference":
            # Its reference was taken: a fresh form names a fresh one to seal to.
            form.submission_token.data = secrets.token_urlsafe(24)
        return _render(form, reason=reason, status=400)
    reference = recorded.case.reference
    flash(_("The call is saved as case %(reference)s.", reference=reference))
    if CASE_PAGE in current_app.view_functions:
        return redirect(url_for(CASE_PAGE, reference=reference), code=303)
    return redirect(url_for("queue.queue"), code=303)


def _render(
    form: PhoneIntakeForm, *, reason: str | None = None, status: int = 200
) -> str | tuple[str, int]:
    if reason is not None:
        form.form_errors.append(_refusal(reason))
    try:
        key = service.line_key_for(db_session(), g.staff)
    except service.PhoneIntakeError as exc:
        key = None
        if exc.reason != reason:
            form.form_errors.append(_refusal(exc.reason))
    secrets_ = current_settings().secrets
    token = form.submission_token.data or ""
    page = render_template(
        "queue/phone.html",
        form=form,
        line_key=key,
        reference=reference_for_form(secrets_.pepper, token) if secrets_ and token else "",
        hours=opening_summary(current_settings().calendar, now()),
    )
    return (page, status) if status != 200 else page


def _refusal(reason: str) -> str:
    return case_texts.refusal(reason, _("The call could not be saved; please try again."))
