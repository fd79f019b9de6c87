"""Changing one's own password, in the browser; a lawyer's private key comes along re-wrapped."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from advisory.auth import access
from advisory.auth.access import ALL_ROLES, require_role
from advisory.auth.forms import PasswordChangeForm
from advisory.auth.routes import bp
from advisory.context import db_session, now
from advisory.models import Staff
from advisory.services import password_change as service
from advisory.services.staff_keys import StaffKeyError, legacy_wraps_of, parse_grants
from crypto.encoding import b64url_decode


@bp.get("/password")
@require_role(*ALL_ROLES)
def password() -> str:
    return render_password(PasswordChangeForm())


@bp.post("/password")
@require_role(*ALL_ROLES)
def submit_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        if not form.new_auth_key.data:
            form.form_errors.append(
                _(
                    "Changing your password needs JavaScript: the password is turned into "
                    "keys in this browser and never sent. Turn JavaScript on and try again."
                )
            )
        return render_password(form), 400
    staff: Staff = g.staff
    try:
        service.change_password(
            db_session(),
            staff,
            current_auth_key=b64url_decode(form.current_auth_key.data or ""),
            new_auth_key=b64url_decode(form.new_auth_key.data or ""),
            wrapped_private_key=form.wrapped_private_key.data or None,
            converted_grants=parse_grants(form.grants.data),
            now=now(),
        )
    except (service.PasswordChangeError, StaffKeyError) as exc:
        db_session().rollback()
        explain(form, exc.args[0])
        return render_password(form), 400
    db_session().commit()
    access.begin_session(staff, enrolling=False)
    return redirect(url_for("auth.home", password_changed=1))


def render_password(form: PasswordChangeForm) -> str:
    staff: Staff = g.staff
    return render_template(
        "auth/password.html",
        form=form,
        staff=staff,
        legacy_wraps=legacy_wraps_of(db_session(), staff),
    )


def explain(form: PasswordChangeForm, reason: str) -> None:
    """Put the service's refusal on the page; the password fields have no server side."""
    if reason == "wrong_current":
        form.form_errors.append(_("That is not your current password."))
    elif reason == "same_as_before":
        form.form_errors.append(_("Choose a password other than the one you have now."))
    else:  # needs_browser, bad_key, bad_grants: what the script sent was not complete
        form.form_errors.append(
            _("Your keys could not be carried over; nothing was changed. Please try again.")
        )
