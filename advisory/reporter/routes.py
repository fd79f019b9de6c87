from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session
from werkzeug.wrappers import Response

from advisory.context import current_settings, now
from advisory.i18n import SESSION_KEY
from advisory.reporter.forms import LanguageForm
from advisory.services.line_status import opening_summary

bp = Blueprint("reporter", __name__)


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


def _local_path(target: str) -> str:
    """Only ever go back to a path on this site, never to another host."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return "/"
    return parts.path
