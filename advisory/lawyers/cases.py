"""The case page and its actions. Lawyers of the case's line only; a decliner gets "not found".

Every action posts its own small form, then redirects back to the case (or, after a decline,
to the queue). On a refusal the case page is shown again with the reason at the top. A
reply's files are uploaded sealed beforehand (lawyers/reply_uploads.py) and named by it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

import advisory.lawyers.reply_uploads  # noqa: F401  (the reply's upload API, on bp)
import crypto
from advisory.auth.access import require_role
from advisory.context import current_settings, data_key, db_session, key_directory, now
from advisory.database import writes_on_get
from advisory.file_types import ACCEPT_ATTRIBUTE
from advisory.lawyers import case_texts
from advisory.lawyers.forms import (
    ActionForm,
    AssignForm,
    CallbackOutcomeForm,
    CloseForm,
    DeclineForm,
    ReplyForm,
    StatusForm,
    TakeForm,
)
from advisory.lawyers.routes import bp
from advisory.models import Case, CaseStatus, CloseOutcome, Role, Staff
from advisory.reporter.refusals import attachment_refusal
from advisory.services import case_actions as actions
from advisory.services import casework
from advisory.services.attachments import AttachmentRefused
from advisory.services.case_actions import CallbackOutcome, CaseActionError, ReplyFiles
from advisory.transaction import unit_of_work

Page = Response | tuple[str, int]
F = TypeVar("F", bound=FlaskForm)


def _assign_form(case: Case) -> AssignForm:
    form = AssignForm()
    colleagues = casework.colleagues_for(db_session(), case)
    form.assignee.choices = [SelectChoice(str(staff.id), staff.username) for staff in colleagues]
    return form


def _case_form(
    name: str, make_form: Callable[[Case], F]
) -> Callable[[Callable[[Case, F], Page]], Callable[[str], Page]]:
    """A lawyer's action on a case by its form: the case (or 404), then the form checked;
    a form that does not validate shows the case page again with its errors."""

    def decorate(view: Callable[[Case, F], Page]) -> Callable[[str], Page]:
        @functools.wraps(view)
        def checked(reference: str) -> Page:
            case = _case_or_404(reference)
            form = make_form(case)
            if not form.validate_on_submit():
                return _render_case(case, forms={name: form}), 400
            return view(case, form)

        return checked

    return decorate


@bp.get("/cases/<ref:reference>")
@require_role(Role.LAWYER)
@writes_on_get  # opening a case is an audited read of its content
def case_view(reference: str) -> str:
    case = _case_or_404(reference)
    return _render_case(case)


@bp.post("/cases/<ref:reference>/reveal/<id:callback_id>")
@require_role(Role.LAWYER)
def reveal_number(reference: str, callback_id: int) -> str | tuple[str, int]:
    case = _case_or_404(reference)
    ActionForm()  # CSRF is checked before any view runs; the form has nothing else
    callback = actions.callback_of(db_session(), case, callback_id) or abort(404)
    with unit_of_work(CaseActionError) as work:
        envelope = actions.reveal_number(db_session(), case, callback, g.staff, now=now())
    if work.refusal is not None:
        return _render_case(case, refusal=work.refusal.args[0]), 409
    return _render_case(case, revealed={callback.id: envelope})


@bp.post("/cases/<ref:reference>/take")
@require_role(Role.LAWYER)
@_case_form("take", lambda _case: TakeForm(prefix="take"))
def take(case: Case, form: TakeForm) -> Page:
    """Take the case; a colleague's case only with the box ticked (they are told)."""
    with unit_of_work(CaseActionError) as work:
        actions.take_case(
            db_session(), case, g.staff, now=now(), take_over_from=form.confirmed_holder()
        )
    if work.refusal is None:
        return redirect(url_for("queue.case_view", reference=case.reference))
    reason = work.refusal.args[0]
    if reason == "held_by_colleague":
        asked = form.confirmed_holder()
        form.confirm.errors = [
            _("Tick the box to take the case over from your colleague.")
            if asked is None
            else _("The case has moved to another colleague meanwhile; please confirm again.")
        ]
        form.confirm.data = False
        return _render_case(case, forms={"take": form}), 409
    return _render_case(case, refusal=reason), 409


@bp.post("/cases/<ref:reference>/assign")
@require_role(Role.LAWYER)
@_case_form("assign", _assign_form)
def assign(case: Case, form: AssignForm) -> Page:
    colleague = db_session().get(Staff, int(form.assignee.data or 0))
    if colleague is None:
        abort(400)
    return _act(
        case, lambda: actions.assign_case(db_session(), case, g.staff, to=colleague, now=now())
    )


@bp.post("/cases/<ref:reference>/decline")
@require_role(Role.LAWYER)
@_case_form("decline", lambda _case: DeclineForm())
def decline(case: Case, form: DeclineForm) -> Page:
    with unit_of_work(CaseActionError) as work:
        actions.decline_case(db_session(), case, g.staff, now=now())
    if work.refusal is not None:
        return _render_case(case, refusal=work.refusal.args[0]), 409
    flash(_("You declined case %(ref)s; it is no longer open to you.", ref=case.reference))
    return redirect(url_for("queue.queue"))


@bp.post("/cases/<ref:reference>/status")
@require_role(Role.LAWYER)
@_case_form("status", lambda _case: StatusForm())
def change_status(case: Case, form: StatusForm) -> Page:
    status = CaseStatus(form.status.data)
    return _act(
        case,
        lambda: actions.change_status(db_session(), case, g.staff, status=status, now=now()),
    )


@bp.post("/cases/<ref:reference>/close")
@require_role(Role.LAWYER)
@_case_form("close", lambda _case: CloseForm())
def close(case: Case, form: CloseForm) -> Page:
    outcome = CloseOutcome(form.outcome.data)
    return _act(
        case,
        lambda: actions.close_case(db_session(), case, g.staff, outcome=outcome, now=now()),
    )


@bp.post("/cases/<ref:reference>/callbacks/<id:callback_id>/outcome")
@require_role(Role.LAWYER)
def callback_outcome(reference: str, callback_id: int) -> Response | tuple[str, int]:
    case = _case_or_404(reference)
    form = CallbackOutcomeForm(prefix=f"callback-{callback_id}")
    if not form.validate_on_submit():
        return _render_case(case, forms={f"callback-{callback_id}": form}), 400
    callback = actions.callback_of(db_session(), case, callback_id) or abort(404)
    outcome = CallbackOutcome(form.outcome.data)
    return _act(
        case,
        lambda: actions.log_callback_outcome(
            db_session(), case, callback, g.staff, outcome=outcome, now=now()
        ),
    )


@bp.post("/cases/<ref:reference>/reply")
@require_role(Role.LAWYER)
@_case_form("reply", lambda _case: ReplyForm())
def reply(case: Case, form: ReplyForm) -> Page:
    """The reply and the files it names are stored together, or neither is."""
    settings = current_settings()
    pepper = settings.secrets.pepper if settings.secrets is not None else b""
    files = ReplyFiles(pepper, settings.attachments, form.claims())
    with unit_of_work(CaseActionError, AttachmentRefused) as work:
        actions.send_reply(
            db_session(),
            key_directory(),
            case,
            g.staff,
            reply=form.reply(),
            now=now(),
            data_key=data_key(),
            files=files,
        )
    if work.refusal is not None:
        explained = _reply_refusal(work.refusal)
        return _render_case(case, explained=explained, forms={"reply": form}), 409
    flash(_("Your reply is sent. The reporter reads it with their case code."))
    return redirect(url_for("queue.case_view", reference=case.reference))


def _reply_refusal(refusal: Exception) -> str:
    if isinstance(refusal, AttachmentRefused):
        return attachment_refusal(refusal, current_settings().attachments)
    reason = refusal.args[0]
    if reason == "file_not_sealed":
        return _(
            "A file did not arrive sealed to the reporter and the line; nothing was sent."
            " Please attach it again."
        )
    return case_texts.refusal(reason)


@bp.app_template_test("openable")
def _openable(envelope: str | None) -> bool:
    """Whether stored sealed text has the form of an envelope; a row stored damaged shows as
    "cannot be opened" and the rest of the page works."""
    try:
        crypto.parse_envelope(envelope or "")
    except crypto.CryptoError:
        return False
    return True


def _case_or_404(reference: str) -> Case:
    case = casework.case_for_lawyer(db_session(), reference, g.staff)
    if case is None:
        abort(404)
    return case


def _act(case: Case, action: Callable[[], object]) -> Response | tuple[str, int]:
    """Run one action; on a refusal show the case again with the reason, else commit and go
    back to the case."""
    with unit_of_work(CaseActionError) as work:
        action()
    if work.refusal is not None:
        return _render_case(case, refusal=work.refusal.args[0]), 409
    return redirect(url_for("queue.case_view", reference=case.reference))


def _render_case(
    case: Case,
    *,
    refusal: str | None = None,
    explained: str | None = None,
    forms: dict[str, object] | None = None,
    revealed: dict[int, str] | None = None,
) -> str:
    """The case page; `refusal` names why an action was refused, or `explained` says it."""
    view = _read_case(case)
    given = forms or {}
    callback_forms = {
        callback.id: given.get(f"callback-{callback.id}")
        or CallbackOutcomeForm(prefix=f"callback-{callback.id}", formdata=None)
        for callback in view.callbacks
    }
    return render_template(
        "queue/case.html",
        view=view,
        case=case,
        refusal=explained or (case_texts.refusal(refusal) if refusal else None),
        revealed=revealed or {},
        action_form=ActionForm(),
        take_form=given.get("take") or TakeForm(prefix="take", formdata=None),
        assign_form=given.get("assign") or _assign_form(case),
        decline_form=given.get("decline") or DeclineForm(formdata=None),
        status_form=given.get("status") or StatusForm(formdata=None, status=case.status.value),
        close_form=given.get("close") or CloseForm(formdata=None),
        reply_form=given.get("reply") or ReplyForm(formdata=None),
        callback_forms=callback_forms,
        labels=case_texts.labels(),
        action_names=case_texts.action_names(),
        limits=current_settings().attachments,
        accept=ACCEPT_ATTRIBUTE,
    )


def _read_case(case: Case) -> casework.CaseView:
    """Every showing of a case is an audited read of its content: recorded and committed
    before the page renders, whatever the page then says."""
    with unit_of_work():
        view = casework.open_case(
            db_session(),
            case,
            g.staff,
            now=now(),
            at_risk_opening_hours=current_settings().at_risk_opening_hours,
        )
    return view  # noqa: RET504  (returned once the block has committed)
