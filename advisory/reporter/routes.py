"""The anonymous surface: landing page, language switch, the report form and its receipt, and
the page on staying safe while reaching out."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from babel.dates import get_day_names
from flask import Blueprint, abort, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from advisory.callback_budget import callback_budget_left
from advisory.context import current_settings, db_session, key_directory, now
from advisory.file_types import ACCEPT_ATTRIBUTE
from advisory.i18n import SESSION_KEY
from advisory.line_config import LineConfig, read_config
from advisory.models import ContactPreference
from advisory.page_line import PageLine, every_line, page_line, page_line_slug
from advisory.reporter.code_file import (
    CODE_PLACEHOLDER,
    FILE_NAME,
    code_file_response,
    code_file_text,
)
from advisory.reporter.forms import ANY_TIME, CodeFileForm, LanguageForm, ReportForm
from advisory.reporter.refusals import (
    attachment_refusal,
    intake_refusal,
    sealed_refusal,
    slot_refusal,
)
from advisory.services import sealing
from advisory.services.attachments import AttachmentRefused
from advisory.services.callbacks import BookingConflict, SlotUnavailable, free_slots
from advisory.services.intake import IntakeError, IntakeProblem, line_public_key
from advisory.services.line_keys import DEFAULT_LINE_NAME
from advisory.services.line_settings import texts_from_settings
from advisory.services.line_status import StaffedDays, opening_summary, staffed_days
from advisory.services.receipt_links import open_link
from advisory.services.sealed_input import SealedInputRefused
from advisory.services.web_report import receive_web_report
from advisory.slots import Slot
from advisory.transaction import unit_of_work
from crypto.encoding import b64url_encode

bp = Blueprint("reporter", __name__)

OFFERED_SLOTS = 6


@bp.get("/")
def landing() -> str:
    lines = every_line()
    if len(lines) > 1 and page_line_slug() is None:
        return render_template("reporter/lines.html", lines=lines)
    line = _page_config()
    summary = opening_summary(line.calendar, now())
    return render_template(
        "reporter/landing.html", summary=summary, retention_days=line.retention_days
    )


@bp.get("/stay-safe")
def stay_safe() -> str:
    return render_template("reporter/stay_safe.html")


@bp.post("/language")
def change_language() -> Response:
    _switch_language()
    # `next` is a path inside the app; the script root keeps a line's page on its line.
    return redirect(request.script_root + _local_path(request.form.get("next", "/")))


@bp.post("/report/language")
def report_in_language() -> str:
    """The report page in the chosen language with what was typed (never the phone number).

    Its language buttons send the report form here: what was typed comes back in the page,
    and nothing of it is kept in the browser or on the server.
    """
    _switch_language()
    form = ReportForm()
    if not form.submission_token.validate(form):  # missing, or not one this site made
        form.submission_token.data = secrets.token_urlsafe(24)
        form.submission_token.errors = []
    return _render_report(form)


def _switch_language() -> None:
    form = LanguageForm()
    if form.validate_on_submit():
        session[SESSION_KEY] = form.language.data
        refresh()  # a page this request renders is in the new language already


@bp.get("/api/v1/line-key")
def line_key() -> Response:
    key = line_public_key(db_session(), _form_line().id)
    return jsonify(key_id=key.key_id, public_key=key.public_key)


@bp.get("/report")
def report_form() -> str:
    form = ReportForm(submission_token=secrets.token_urlsafe(24))
    return _render_report(form)


@bp.post("/report")
def submit_report() -> Response | tuple[str, int] | str:
    form = ReportForm()
    if not form.validate_on_submit():
        return _render_report(form), 400
    settings = current_settings()
    if settings.secrets is None:
        raise IntakeError(IntakeProblem.NOT_READY)
    line = _form_line()
    wants_callback = form.contact_preference.data == ContactPreference.CALLBACK.value
    refusals = (
        IntakeError,
        SealedInputRefused,
        SlotUnavailable,
        BookingConflict,
        AttachmentRefused,
    )
    with unit_of_work(*refusals) as work:
        receipt = receive_web_report(
            db_session(),
            settings,
            settings.secrets,
            key_directory(),
            form.web_report(),
            may_book_callback=wants_callback and callback_budget_left(),
            now=now(),
            line_id=line.id,
            line=line.config,
        )
    if work.refusal is not None:
        return _refused(form, work.refusal)
    # Only a stored case earns a case code (invariant 5): the receipt is shown after the
    # commit, behind a redirect, so Back and reload show it rather than send the form again.
    if receipt.link is None:
        return render_template("reporter/already_received.html", receipt=receipt)
    return redirect(url_for("reporter.receipt", token=receipt.link), 303)


@bp.get("/report/received/<token>")
def receipt(token: str) -> tuple[str, int] | str:
    settings = current_settings()
    if settings.secrets is None:
        raise IntakeError(IntakeProblem.NOT_READY)
    with unit_of_work():  # a waiting case code is shown once: taken out before the page
        shown = open_link(db_session(), settings.secrets.pepper, token, now())
    if shown is None:
        return render_template("reporter/receipt_gone.html"), 404
    inbox = url_for("reporter.follow_up", _external=True)
    return render_template(
        "reporter/received.html",
        receipt=shown,
        code=shown.code,
        code_file_name=FILE_NAME,
        code_file_text=code_file_text(CODE_PLACEHOLDER, inbox),
    )


@bp.post("/report/case-code.txt")
def case_code_file() -> Response:
    """The case code as a small text file, for a receipt without JavaScript: the code comes
    in the post (never the URL) and goes straight back; nothing is looked up or kept."""
    form = CodeFileForm()
    code = form.valid_code() if form.validate_on_submit() else None
    if code is None:  # no receipt of ours sends anything else
        abort(400)
    return code_file_response(code, url_for("reporter.follow_up", _external=True))


def _refused(form: ReportForm, refusal: Exception) -> tuple[str, int]:
    """The report page again, with what was typed and why it was not taken."""
    if isinstance(refusal, BookingConflict):
        form.slot.errors = [_("Someone took that time just now; please choose another.")]
        return _render_report(form), 409
    if isinstance(refusal, SlotUnavailable):
        form.slot.errors = [slot_refusal(refusal)]
    elif isinstance(refusal, SealedInputRefused):
        form.form_errors.append(sealed_refusal(refusal))
    elif isinstance(refusal, AttachmentRefused):
        form.evidence.errors = [attachment_refusal(refusal, current_settings().attachments)]
    elif isinstance(refusal, IntakeError):
        form.form_errors.append(intake_refusal(refusal))
        if refusal.problem is IntakeProblem.NO_REFERENCE:
            # Its reference was taken: a fresh form names a fresh one to seal to.
            form.submission_token.data = secrets.token_urlsafe(24)
    return _render_report(form), 400


def _render_report(form: ReportForm) -> str:
    due, slots = _offer_slots(form)
    form.phone.data = ""  # never echo a phone number back into a page
    key = line_public_key(db_session(), _form_line().id)
    offered = [(slot.start.isoformat(), slot.start) for slot in slots]
    return render_template(
        "reporter/report.html",
        form=form,
        line_key=key,
        reference=_reference_for(form.submission_token.data or ""),
        due=due,
        offered=offered,
        limits=current_settings().attachments,
        accept=ACCEPT_ATTRIBUTE,
    )


def _reference_for(form_token: str) -> str:
    """The reference a report sent with this form gets: the page binds its envelopes to it."""
    secrets_ = current_settings().secrets
    if secrets_ is None:
        raise IntakeError(IntakeProblem.NOT_READY)
    return sealing.reference_for_form(secrets_.pepper, form_token)


def _offer_slots(form: ReportForm) -> tuple[datetime, list[Slot]]:
    """Offer the earliest free callback times before the deadline a report sent now gets: the
    slots and the deadline of the line the form belongs to."""
    form_line = _form_line()
    line = form_line.config
    moment = now()
    due = line.calendar.callback_due(moment)
    after = moment + timedelta(minutes=15)
    slots = free_slots(
        db_session(), line, line_id=form_line.id, after=after, until=due, limit=OFFERED_SLOTS
    )
    form.slot.choices = [SelectChoice(ANY_TIME)] + [
        SelectChoice(s.start.isoformat()) for s in slots
    ]
    return due, slots


def _local_path(target: str) -> str:
    """Only ever go back to a path on this site, never to another host."""
    try:
        parts = urlsplit(target)
    except ValueError:  # such as "//[::1": an address that cannot be read at all
        return "/"
    path = parts.path
    # Browsers read a backslash as a slash, so "/\\host" would lead to another site.
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return "/"
    return "/" if "\\" in path else path


@bp.context_processor
def _line_contact() -> dict[str, object]:
    """Every reporter page can give the line's number and when lawyers answer it."""
    line = _page_config()
    hours = "; ".join(_staffed_text(span) for span in staffed_days(line.calendar))
    return {"line_phone": line.phone, "line_hours": hours}


def _form_line() -> PageLine:
    """The line the report form belongs to: the page's (read once per request, with its
    languages); before `flask init` made one, the line is not ready."""
    line = page_line()
    if line is None:
        raise IntakeError(IntakeProblem.NOT_READY)
    return line


def _page_config() -> LineConfig:
    """The settings of this page's line; before `flask init` made it, those it will be made
    with (the deployment's configuration)."""
    line = page_line()
    if line is None:
        return read_config({"name": DEFAULT_LINE_NAME, **texts_from_settings(current_settings())})
    return line.config


def _staffed_text(span: StaffedDays) -> str:
    """Days and hours as a sentence writes them: Monday–Friday 09:00–16:00, mandag–fredag …"""
    names = get_day_names("wide", locale=get_locale())
    days = str(names[span.first_day])
    if span.last_day != span.first_day:
        days += f"–{names[span.last_day]}"
    times = ", ".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in span.intervals)
    return f"{days} {times}"


@bp.app_template_filter("b64url")
def _b64url(data: bytes) -> str:
    return b64url_encode(data)


@bp.errorhandler(IntakeError)
def _not_ready(error: IntakeError) -> tuple[str, int]:
    return render_template("reporter/not_ready.html", message=intake_refusal(error)), 503


def render_report_again(form: ReportForm, message: str) -> str:
    """The report page filled with what was posted (never the phone number), `message` on top."""
    form.form_errors.append(message)
    return _render_report(form)
