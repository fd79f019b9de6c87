"""The staff surface's front door: sign-in, first-time enrolment, home, sign-out."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from advisory import totp
from advisory.auth import access
from advisory.auth.access import ALL_ROLES, enrolling, public, require_role
from advisory.auth.forms import EnrolmentForm, SignInForm, SignOutForm
from advisory.auth.qr import qr_svg
from advisory.context import current_settings, now
from advisory.context import session as db_session
from advisory.i18n import SESSION_KEY
from advisory.models import Role, Staff
from advisory.services import password_change
from advisory.services import sign_in as service
from advisory.services.staff_keys import rewrap_context

bp = Blueprint("auth", __name__, url_prefix="/staff")
bp.record_once(lambda state: access.register_access(state.app))


def _data_key() -> bytes:
    secrets = current_settings().secrets
    if secrets is None:
        raise RuntimeError("no data key: run `flask --app advisory init`")
    return secrets.data_key


@bp.get("/login")
@public
def login() -> str:
    signed_out = request.args.get("signed_out") == "1"
    return render_template(
        "auth/login.html", form=SignInForm(), failed=False, signed_out=signed_out
    )


@bp.post("/login")
@public
def submit_login() -> Response | tuple[str, int]:
    form = SignInForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, failed=False), 400
    result = service.sign_in(
        db_session(),
        username=form.username.data or "",
        password=form.password.data or "",
        code=form.code.data or "",
        data_key=_data_key(),
        now=now(),
    )
    db_session().commit()
    if result is None:
        # The same page whatever went wrong, typed values not echoed.
        return render_template("auth/login.html", form=SignInForm(formdata=None), failed=True), 401
    _fresh_flask_session()
    access.begin_session(result.staff, enrolling=result.enrolling)
    return redirect(url_for("auth.welcome" if result.enrolling else "auth.home"))


@bp.get("/welcome")
@enrolling
def welcome() -> str:
    return _render_welcome(EnrolmentForm())


@bp.post("/welcome")
@enrolling
def submit_welcome() -> Response | tuple[str, int]:
    form = EnrolmentForm()
    if not form.validate_on_submit():
        return _render_welcome(form), 400
    staff: Staff = g.staff
    try:
        password_change.carry_keys_over(
            db_session(),
            staff,
            current_password=form.current_password.data or "",
            rewrapped=password_change.parse_rewrapped(form.wrapped_keys.data),
            now=now(),
        )
        service.complete_enrolment(
            db_session(),
            staff,
            new_password=form.new_password.data or "",
            code=form.code.data or "",
            data_key=_data_key(),
            now=now(),
        )
    except service.EnrolmentError as exc:
        db_session().rollback()
        _explain(form, str(exc))
        return _render_welcome(form), 400
    except password_change.PasswordChangeError as exc:
        db_session().rollback()
        _explain(form, exc.reason)
        return _render_welcome(form), 400
    db_session().commit()
    access.begin_session(staff, enrolling=False)
    return redirect(url_for("auth.home"))


@bp.get("")
@require_role(*ALL_ROLES)
def home() -> str:
    role_names = {
        Role.LAWYER: _("lawyer"),
        Role.COORDINATOR: _("coordinator"),
        Role.ADMIN: _("administrator"),
    }
    return render_template(
        "auth/home.html", staff=g.staff, role_names=role_names, form=SignOutForm()
    )


@bp.post("/sign-out")
@public  # also ends a half-finished enrolment; without a session it just clears the cookie
def sign_out() -> Response:
    SignOutForm()  # CSRF is checked for every post before any view runs
    staff = access.current_staff()
    if staff is not None:
        service.record_sign_out(db_session(), staff.id, now=now())
        db_session().commit()
    access.end_session()
    return redirect(url_for("auth.login", signed_out=1))


@bp.post("/sign-out-everywhere")
@require_role(*ALL_ROLES)
def sign_out_everywhere() -> Response:
    service.sign_out_everywhere(db_session(), g.staff, now=now())
    db_session().commit()
    access.end_session()
    return redirect(url_for("auth.login", signed_out=1))


def _fresh_flask_session() -> None:
    """A new CSRF token at sign-in: nothing from before it carries over but the language."""
    language = session.get(SESSION_KEY)
    session.clear()
    if language is not None:
        session[SESSION_KEY] = language


def _render_welcome(form: EnrolmentForm) -> str:
    staff: Staff = g.staff
    seed = service.enrolment_seed(staff, _data_key())
    uri = totp.provisioning_uri(seed, staff.username)
    return render_template(
        "auth/welcome.html",
        form=form,
        staff=staff,
        secret=" ".join(seed[i : i + 4] for i in range(0, len(seed), 4)),
        qr=Markup(qr_svg(uri, title=_("QR code for your authenticator app"))),  # noqa: S704
        **rewrap_context(db_session(), staff),
    )


def _explain(form: EnrolmentForm, reason: str) -> None:
    if reason == "wrong_code":
        form.code.errors = [_("That code is not the current one; check the time on your phone.")]
    elif reason == "same_as_before":
        form.new_password.errors = [_("Choose a password other than the one you were given.")]
    elif reason == "wrong_current":
        form.current_password.errors = [_("That is not the password you signed in with.")]
    elif reason == "needs_browser":
        form.current_password.errors = [
            _(
                "You hold the line key: it must be wrapped again under your new password in "
                "this browser. Turn on JavaScript and try again."
            )
        ]
    elif reason == "bad_wraps":
        form.current_password.errors = [
            _("Your line key could not be carried over; nothing was changed. Please try again.")
        ]
    else:
        form.new_password.errors = [_("That password is too short.")]
