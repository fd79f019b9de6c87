"""The staff surface's front door: sign-in, first-time enrolment, password change, home,
sign-out.

Sign-in and enrolment need the page's script: it derives the authentication key (sent) and
the wrapping key (kept) from the password, which never leaves the browser. A form that
arrives without a key was sent without the script; the page then says so.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from advisory import totp
from advisory.auth import access
from advisory.auth.access import ALL_ROLES, enrolling, public, require_role
from advisory.auth.forms import (
    EnrolmentForm,
    PasswordChangeForm,
    SignInForm,
    SignOutForm,
    StaffLanguageForm,
)
from advisory.auth.qr import qr_svg
from advisory.context import data_key, db_session, now
from advisory.i18n import SESSION_KEY
from advisory.models import Role, Staff
from advisory.services import credentials
from advisory.services import sign_in as service
from advisory.services.staff_keys import (
    StaffKeyError,
    legacy_wraps_of,
    parse_grants,
    parse_key_pair,
)
from advisory.transaction import unit_of_work
from crypto.encoding import b64url_decode, b64url_encode

bp = Blueprint("auth", __name__, url_prefix="/staff")
bp.record_once(lambda state: access.register_access(state.app))


@bp.get("/login")
@public
def login() -> str:
    signed_out = request.args.get("signed_out") == "1"
    return _render_login(SignInForm(), signed_out=signed_out)


@bp.get("/login/legacy")
@public
def legacy_challenge() -> Response:
    """Salt and costs for a browser to prove a password from before the credential split."""
    username = request.args.get("username", "")[:64]
    found = credentials.legacy_challenge(db_session(), username, data_key=data_key())
    response = jsonify(
        salt=b64url_encode(found.salt),
        timeCost=found.time_cost,
        memoryKiB=found.memory_kib,
        parallelism=found.parallelism,
        hashLength=found.hash_len,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/login")
@public
def submit_login() -> Response | tuple[str, int]:
    form = SignInForm()
    if not form.validate_on_submit():
        return _render_login(form, needs_script=not form.auth_key.data), 400
    with unit_of_work():  # a failed attempt is kept too: it counts towards the lock-out
        result = service.sign_in(
            db_session(),
            username=form.username.data or "",
            auth_key=b64url_decode(form.auth_key.data or ""),
            legacy_proof=_legacy_proof(form.legacy_proof.data),
            code=form.code.data or "",
            data_key=data_key(),
            now=now(),
        )
    if result is None:
        # The same page whatever went wrong, typed values not echoed.
        return _render_login(SignInForm(formdata=None), failed=True), 401
    _fresh_flask_session()
    access.begin_session(result.staff, enrolling=result.enrolling)
    return redirect(url_for("auth.welcome") if result.enrolling else work_page(result.staff))


@bp.get("/welcome")
@enrolling
def welcome() -> str:
    return _render_welcome(EnrolmentForm())


@bp.post("/welcome")
@enrolling
def submit_welcome() -> Response | tuple[str, int]:
    form = EnrolmentForm()
    if not _sent_by_script(form, _needs_script_text()):
        return _render_welcome(form), 400
    staff: Staff = g.staff
    with unit_of_work(service.EnrolmentError, StaffKeyError) as work:
        service.complete_enrolment(
            db_session(),
            staff,
            new_auth_key=b64url_decode(form.new_auth_key.data or ""),
            key_pair=parse_key_pair(form.public_key.data, form.wrapped_private_key.data),
            signing_public_key=form.signing_public_key.data or None,
            converted_grants=parse_grants(form.grants.data),
            code=form.code.data or "",
            data_key=data_key(),
            now=now(),
        )
    if work.refusal is not None:
        _explain(form, work.refusal.args[0])
        return _render_welcome(form), 400
    access.begin_session(staff, enrolling=False)
    return redirect(work_page(staff))


@bp.get("/password")
@require_role(*ALL_ROLES)
def password() -> str:
    return _render_password(PasswordChangeForm())


@bp.post("/password")
@require_role(*ALL_ROLES)
def submit_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm()
    needs_script = _(
        "Changing your password needs JavaScript: the password is turned into keys in this "
        "browser and never sent. Turn JavaScript on and try again."
    )
    if not _sent_by_script(form, needs_script):
        return _render_password(form), 400
    with unit_of_work(credentials.PasswordChangeError, StaffKeyError) as work:
        credentials.change_password(
            db_session(),
            g.staff,
            current_auth_key=b64url_decode(form.current_auth_key.data or ""),
            new_auth_key=b64url_decode(form.new_auth_key.data or ""),
            wrapped_private_key=form.wrapped_private_key.data or None,
            converted_grants=parse_grants(form.grants.data),
            now=now(),
        )
    if work.refusal is not None:
        _explain_password_refusal(form, work.refusal.args[0])
        return _render_password(form), 400
    access.begin_session(g.staff, enrolling=False)
    return redirect(url_for("auth.home", password_changed=1))


@bp.get("")
@require_role(*ALL_ROLES)
def home() -> str:
    return render_home()


def render_home(language_form: StaffLanguageForm | None = None) -> str:
    role_names = {
        Role.LAWYER: _("lawyer"),
        Role.COORDINATOR: _("coordinator"),
        Role.ADMIN: _("administrator"),
    }
    if language_form is None:
        language_form = StaffLanguageForm(formdata=None, language=g.staff.language or "")
    return render_template(
        "auth/home.html",
        staff=g.staff,
        role_names=role_names,
        form=SignOutForm(),
        language_form=language_form,
    )


@bp.post("/sign-out")
@public  # also ends a half-finished enrolment; without a session it just clears the cookie
def sign_out() -> Response:
    SignOutForm()  # CSRF is checked for every post before any view runs
    staff = access.current_staff()
    if staff is not None:
        with unit_of_work():
            service.record_sign_out(db_session(), staff.id, now=now())
    access.end_session()
    return redirect(url_for("auth.login", signed_out=1))


@bp.post("/sign-out-everywhere")
@require_role(*ALL_ROLES)
def sign_out_everywhere() -> Response:
    with unit_of_work():
        service.sign_out_everywhere(db_session(), g.staff, now=now())
    access.end_session()
    return redirect(url_for("auth.login", signed_out=1))


# Where each role's day starts: the page a completed sign-in or enrolment lands on.
WORK_PAGES = {
    Role.LAWYER: "queue.queue",
    Role.COORDINATOR: "coordinator.dashboard",
    Role.ADMIN: "admin.staff",
}


def work_page(staff: Staff) -> str:
    return url_for(WORK_PAGES[staff.role])


def _fresh_flask_session() -> None:
    """A new CSRF token at sign-in: nothing from before it carries over but the language."""
    language = session.get(SESSION_KEY)
    session.clear()
    if language is not None:
        session[SESSION_KEY] = language


def _render_login(
    form: SignInForm, *, failed: bool = False, signed_out: bool = False, needs_script: bool = False
) -> str:
    if needs_script:
        form.form_errors.append(_needs_script_text())
    return render_template(
        "auth/login.html",
        form=form,
        failed=failed,
        signed_out=signed_out,
        legacy=credentials.legacy_accounts_exist(db_session()),
    )


def _legacy_proof(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        return b64url_decode(text)
    except ValueError:
        return None  # refused like a wrong password


def _sent_by_script(form: EnrolmentForm | PasswordChangeForm, needs_script: str) -> bool:
    """Whether the form validates. One that carries no key was sent without the page's
    script, which alone turns the password into keys: `needs_script` then says so."""
    if form.validate_on_submit():
        return True
    if not form.new_auth_key.data:
        form.form_errors.append(needs_script)
    return False


def _needs_script_text() -> str:
    return _(
        "Staff sign-in needs JavaScript on a secure (HTTPS) connection: your password is "
        "turned into keys in this browser and never sent. Turn JavaScript on for this site "
        "and try again."
    )


def _render_welcome(form: EnrolmentForm) -> str:
    staff: Staff = g.staff
    seed = service.enrolment_seed(staff, data_key())
    uri = totp.provisioning_uri(seed, staff.username)
    return render_template(
        "auth/welcome.html",
        form=form,
        staff=staff,
        secret=" ".join(seed[i : i + 4] for i in range(0, len(seed), 4)),
        qr=Markup(qr_svg(uri, title=_("QR code for your authenticator app"))),  # noqa: S704
        makes_key_pair=staff.role is Role.LAWYER,
        legacy_wraps=legacy_wraps_of(db_session(), staff),
    )


def _explain(form: EnrolmentForm, reason: str) -> None:
    if reason == "wrong_code":
        form.code.errors = [_("That code is not the current one; check the time on your phone.")]
    elif reason == "same_as_before":
        form.form_errors.append(_("Choose a password other than the one you were given."))
    elif reason == "needs_current":
        form.form_errors.append(
            _(
                "You already hold the line key under the password you signed in with. Type "
                "that password too, so this browser can carry the key over."
            )
        )
    else:  # needs_key, bad_key, bad_grants: what the script sent was not complete
        form.form_errors.append(
            _("This browser could not set up your keys, so nothing was changed. Please try again.")
        )


def _render_password(form: PasswordChangeForm) -> str:
    staff: Staff = g.staff
    return render_template(
        "auth/password.html",
        form=form,
        staff=staff,
        legacy_wraps=legacy_wraps_of(db_session(), staff),
    )


def _explain_password_refusal(form: PasswordChangeForm, reason: str) -> None:
    """Put the service's refusal on the page; the password fields have no server side."""
    if reason == "wrong_current":
        form.form_errors.append(_("That is not your current password."))
    elif reason == "same_as_before":
        form.form_errors.append(_("Choose a password other than the one you have now."))
    else:  # needs_browser, bad_key, bad_grants: what the script sent was not complete
        form.form_errors.append(
            _("Your keys could not be carried over; nothing was changed. Please try again.")
        )
