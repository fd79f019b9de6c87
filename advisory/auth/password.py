"""Changing one's own password; a lawyer's browser carries their line keys over."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from advisory.auth import access
from advisory.auth.access import ALL_ROLES, require_role
from advisory.auth.forms import PasswordChangeForm
from advisory.auth.routes import bp
from advisory.context import now
from advisory.context import session as db_session
from advisory.models import Staff
from advisory.services import password_change as service
from advisory.services.staff_keys import rewrap_context


@bp.get("/password")
@require_role(*ALL_ROLES)
def password() -> str:
    return render_password(PasswordChangeForm())


@bp.post("/password")
@require_role(*ALL_ROLES)
def submit_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return render_password(form), 400
    staff: Staff = g.staff
    try:
        service.change_password(
            db_session(),
            staff,
            current_password=form.current_password.data or "",
            new_password=form.new_password.data or "",
            rewrapped=service.parse_rewrapped(form.wrapped_keys.data),
            now=now(),
        )
    except service.PasswordChangeError as exc:
        db_session().rollback()
        explain(form, exc.reason)
        return render_password(form), 400
    db_session().commit()
    access.begin_session(staff, enrolling=False)
    return redirect(url_for("auth.home", password_changed=1))


def render_password(form: PasswordChangeForm) -> str:
    return render_template("auth/password.html", form=form, **rewrap_context(db_session(), g.staff))


def explain(form: PasswordChangeForm, reason: str) -> None:
    """Put the service's refusal beside the field it is about."""
    if reason == "wrong_current":
        form.current_password.errors = [_("That is not your current password.")]
    elif reason == "same_as_before":
        form.new_password.errors = [_("Choose a password other than the one you have now.")]
    elif reason == "too_short":
        form.new_password.errors = [_("That password is too short.")]
    elif reason == "needs_browser":
        form.form_errors.append(
            _(
                "You hold the line key, and it must be wrapped again under your new password in "
                "this browser. Turn on JavaScript (in a browser that supports it) and try again."
            )
        )
    else:
        form.form_errors.append(
            _("Your line key could not be carried over; nothing was changed. Please try again.")
        )
