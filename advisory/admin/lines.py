"""The lines pages: administrators add lines and change a line's settings.

A change that moves the calendar is shown first: the next 14 days as they are and as they would
be, holidays named, then saved with one more press. Deadlines already given stay as they were.
The services write the audit entries (`line.added`, `line.changed`) with who did it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import format_date, pgettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from advisory.admin.line_forms import HINTS, INVALID, AddLineForm, LineSettingsForm
from advisory.admin.routes import bp
from advisory.auth.access import require_role
from advisory.closing_days import holiday_language
from advisory.context import current_settings, data_key, db_session, now
from advisory.i18n import current_language
from advisory.line_config import CALENDAR_FIELDS, LineConfig, LineConfigError, read_config
from advisory.models import Line, Role
from advisory.services import line_settings as service
from advisory.services.line_keys import start_line_key
from advisory.transaction import unit_of_work

PREVIEWED = "previewed"  # the hidden field that says which calendar the admin has seen


@bp.get("/lines")
@require_role(Role.ADMIN)
def lines() -> str:
    return _render_lines(AddLineForm(formdata=None))


@bp.post("/lines")
@require_role(Role.ADMIN)
def add_line() -> Response | tuple[str, int]:
    """A new line with its settings from its country and a key of its own."""
    form = AddLineForm()
    if not form.validate_on_submit():
        return _render_lines(form), 400
    slug = (form.slug.data or "").strip()
    texts = {
        **service.texts_from_settings(current_settings(), form.country.data),
        "name": (form.name.data or "").strip(),
    }
    with unit_of_work(LineConfigError) as work:
        line = service.add_line(
            db_session(), slug=slug, texts=texts, now=now(), actor_staff_id=g.staff.id
        )
        new_key = start_line_key(db_session(), line, now=now(), data_key=data_key())
    if isinstance(work.refusal, LineConfigError):
        for name, why in work.refusal.problems.items():
            field = form.slug if name == "slug" else form.name
            field.errors = [*field.errors, INVALID % {"why": why}]
        return _render_lines(form), 400
    # Its recovery passphrase, this once: nothing keeps it in clear.
    response = make_response(
        render_template("admin/line_added.html", line=new_key.line, new_key=new_key)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/lines/<slug>")
@require_role(Role.ADMIN)
def line_settings(slug: str) -> str:
    line = _line(slug)
    return _render_line(line, LineSettingsForm(formdata=None, data=service.texts_of(line)))


@bp.post("/lines/<slug>")
@require_role(Role.ADMIN)
def save_line_settings(slug: str) -> Response | tuple[str, int]:
    line = _line(slug)
    form = LineSettingsForm()
    if not form.validate_on_submit():
        return _render_line(line, form), 400
    texts = {**service.texts_of(line), **form.texts()}
    try:
        proposed = service.check_opens(read_config(texts), now())
    except LineConfigError as refused:
        for name, why in refused.problems.items():
            form[name].errors = [*form[name].errors, INVALID % {"why": why}]
        return _render_line(line, form), 400
    seen = request.form.get(PREVIEWED, "")
    if form.preview.data or (_calendar_moves(line, texts) and seen != _fingerprint(texts)):
        return _render_line(line, form, proposed=proposed, fingerprint=_fingerprint(texts)), 200
    with unit_of_work(LineConfigError) as work:
        changed = service.change_line(
            db_session(), line, texts, now=now(), actor_staff_id=g.staff.id
        )
    if work.refusal is not None:  # changed by someone else into something now refused
        abort(409)
    if changed:
        flash(_("Saved. Deadlines already given stay as they were."))
    else:
        flash(_("Nothing was changed."))
    return redirect(url_for("admin.line_settings", slug=slug))


def _line(slug: str) -> Line:
    line = service.line_by_slug(db_session(), slug)
    if line is None:
        abort(404)
    return line


def _calendar_moves(line: Line, texts: dict[str, str]) -> bool:
    current = service.texts_of(line)
    return any(current[name] != texts[name] for name in CALENDAR_FIELDS)


def _fingerprint(texts: dict[str, str]) -> str:
    """Which calendar a preview showed; a different one is shown again before it is saved."""
    seen = "\n".join(f"{name}={texts[name]}" for name in sorted(CALENDAR_FIELDS))
    return hashlib.sha256(seen.encode()).hexdigest()


def _render_lines(form: AddLineForm) -> str:
    return render_template("admin/lines.html", lines=service.all_lines(db_session()), form=form)


def _render_line(
    line: Line,
    form: LineSettingsForm,
    *,
    proposed: LineConfig | None = None,
    fingerprint: str = "",
) -> str:
    current = service.config_of(line)
    previews = None
    if proposed is not None:
        first_day = current.calendar.local_date(now())
        previews = [
            PreviewRow(str(format_date(before.day, "EEE d MMM")), _said(before), _said(after))
            for before, after in zip(
                _days(current, first_day), _days(proposed, first_day), strict=True
            )
        ]
    return render_template(
        "admin/line.html",
        line=line,
        form=form,
        hints=HINTS,
        previews=previews,
        fingerprint=fingerprint,
        previewed_field=PREVIEWED,
    )


@dataclass(frozen=True)
class PreviewRow:
    day: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _days(config: LineConfig, first_day: date) -> list[service.PreviewDay]:
    country = config.calendar.holiday_country
    language = holiday_language(country, current_language()) if country else None
    return service.preview(config, first_day, language)


def _said(day: service.PreviewDay) -> str:
    """ "09:00–16:00", or "Closed (Julaften)" in the page's language."""
    if day.intervals:
        return ", ".join(f"{start:%H:%M}–{end:%H:%M}" for start, end in day.intervals)
    if day.holiday:
        return _("Closed (%(holiday)s)", holiday=day.holiday)
    return pgettext("opening hours", "Closed")
