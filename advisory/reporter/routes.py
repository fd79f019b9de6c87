"""The anonymous surface: landing page, language switch, the report form and its receipt."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from advisory.context import current_settings, now
from advisory.context import session as db_session
from advisory.i18n import SESSION_KEY
from advisory.models import Callback, ContactPreference
from advisory.reporter.credentials import CredentialError, decode_token
from advisory.reporter.forms import ANY_TIME, LanguageForm, ReportForm
from advisory.reporter.refusals import intake_refusal, slot_refusal
from advisory.services import sealing
from advisory.services.callbacks import BookingConflict, SlotUnavailable, free_slots
from advisory.services.intake import (
    IntakeError,
    IntakeProblem,
    KeyDirectory,
    ReporterKeys,
    Submission,
    line_public_key,
    submit_case,
)
from advisory.services.line_status import opening_summary
from advisory.slots import Slot
from crypto.encoding import b64url_encode

bp = Blueprint("reporter", __name__)

OFFERED_SLOTS = 6
_KEY_DIRECTORY = "advisory_key_directory"


@bp.record_once
def _remember_keys(state: BlueprintSetupState) -> None:
    state.app.extensions[_KEY_DIRECTORY] = KeyDirectory()


def _key_directory() -> KeyDirectory:
    directory: KeyDirectory = current_app.extensions[_KEY_DIRECTORY]
    return directory


@bp.get("/")
def landing() -> str:
    settings = current_settings()
    summary = opening_summary(settings.calendar, now())
    return render_template(
        "reporter/landing.html", summary=summary, retention_days=settings.retention_days
    )


@bp.post("/language")
def change_language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit():
        session[SESSION_KEY] = form.language.data
    return redirect(_local_path(request.form.get("next", "/")))


@bp.get("/api/v1/line-key")
def line_key() -> Response:
    key = line_public_key(db_session())
    return jsonify(key_id=key.key_id, public_key=key.public_key)


@bp.get("/report")
def report_form() -> str:
    form = ReportForm(submission_token=secrets.token_urlsafe(24))
    return _render_report(form)


@bp.post("/report")
def submit_report() -> tuple[str, int] | str:
    form = ReportForm()
    if not form.validate_on_submit():
        return _render_report(form), 400
    try:
        received = _store_report(form)
    except IntakeError as exc:
        form.form_errors.append(intake_refusal(exc))
        return _render_report(form), 400
    except SlotUnavailable as exc:
        form.form_errors.append(slot_refusal(exc))
        return _render_report(form), 400
    except CredentialError as exc:
        form.form_errors.append(str(exc))
        return _render_report(form), 400
    except BookingConflict:
        db_session().rollback()
        form.slot.errors = [_("Someone took that time just now; please choose another.")]
        return _render_report(form), 409
    return received


def _store_report(form: ReportForm) -> str:
    settings = current_settings()
    secrets_ = settings.secrets
    if secrets_ is None:
        raise IntakeError(IntakeProblem.NOT_READY)
    session_ = db_session()
    moment = now()
    if form.encrypted_in_browser:
        code = None
        reporter = ReporterKeys(decode_token(form.lookup_token.data), form.reporter_public_key.data)
        narrative = form.narrative_envelope.data or None
        phone = form.contact_envelope.data or None
        sealed = [envelope for envelope in (narrative, phone) if envelope]
        line_id = _key_directory().line_for(session_, sealed)
    else:
        # No JavaScript: seal on arrival; the plaintext lives only in this request.
        key = line_public_key(session_)
        line_id = key.line_id
        code = sealing.code_for_submission(secrets_.data_key, form.submission_token.data)
        reporter = sealing.reporter_keys(code)
        text = (form.narrative.data or "").strip()
        narrative = sealing.seal_for_line(key, "narrative", text) if text else None
        number = (form.phone.data or "").strip()
        phone = sealing.seal_for_line(key, "contact", number) if number else None

    contact = form.contact(phone)
    submission = submit_case(
        session_,
        settings,
        line_id=line_id,
        pepper=secrets_.pepper,
        submission_token=form.submission_token.data,
        answers=form.answers(),
        narrative_envelope=narrative,
        reporter=reporter,
        contact=contact,
        now=moment,
    )
    callback = submission.booking.callback if submission.booking else _booked(submission)
    receipt = Receipt(
        due=submission.case.callback_due_at,
        contact_preference=submission.case.contact_preference,
        callback_at=callback.slot_start if callback else None,
    )
    session_.commit()
    # Only a stored case earns a case code (invariant 5): the page is made after the commit,
    # from what was read before it (the commit expires the rows), so no write lock is held
    # while it renders.
    return render_template(
        "reporter/received.html",
        receipt=receipt,
        code=code,
        encrypted_in_browser=form.encrypted_in_browser,
        emergency=form.answers().immediate_danger,
    )


@dataclass(frozen=True)
class Receipt:
    """What the receipt says about a stored case, read before the commit."""

    due: datetime
    contact_preference: ContactPreference
    callback_at: datetime | None


def _booked(submission: Submission) -> Callback | None:
    """For a form sent again: the callback booked the first time, if any.

    A new case has no callback but the one just booked: its (empty) list is not loaded.
    """
    if not submission.duplicate:
        return None
    return next((cb for cb in submission.case.callbacks if cb.status == "booked"), None)


def _render_report(form: ReportForm) -> str:
    due, slots = _offer_slots(form)
    form.phone.data = ""  # never echo a phone number back into a page
    key = line_public_key(db_session())
    offered = [(slot.start.isoformat(), slot.start) for slot in slots]
    return render_template(
        "reporter/report.html", form=form, line_key=key, due=due, offered=offered
    )


def _offer_slots(form: ReportForm) -> tuple[datetime, list[Slot]]:
    """Offer the earliest free callback times before the deadline a report sent now gets."""
    settings = current_settings()
    moment = now()
    due = settings.calendar.callback_due(moment)
    slots = free_slots(
        db_session(), settings, after=moment + timedelta(minutes=15), until=due, limit=OFFERED_SLOTS
    )
    form.slot.choices = [SelectChoice(ANY_TIME)] + [
        SelectChoice(s.start.isoformat()) for s in slots
    ]
    return due, slots


def _local_path(target: str) -> str:
    """Only ever go back to a path on this site, never to another host."""
    parts = urlsplit(target)
    path = parts.path
    # Browsers read a backslash as a slash, so "/\\host" would lead to another site.
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return "/"
    return "/" if "\\" in path else path


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
