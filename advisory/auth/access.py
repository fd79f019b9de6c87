"""The one access mechanism of the staff surface.

Every view of a staff blueprint declares who may call it, with exactly one of:

- `@public`: anyone (the sign-in page);
- `@enrolling`: a staff member half-way through a first sign-in (password given, new
  password and TOTP device not yet confirmed);
- `@require_role(Role.LAWYER, ...)`: a fully signed-in staff member with one of these roles.

`enforce_access` runs before every request. A staff endpoint without a declaration is
refused (403), so a forgotten rule fails closed; `tests/test_access.py` also asserts that
every staff endpoint has one. Anyone without a valid session is sent to the sign-in page;
a signed-in staff member without the role gets the 403 page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, redirect, render_template, request, url_for
from flask.sansio.app import App
from werkzeug.wrappers import Response

from advisory.auth import sessions
from advisory.context import current_settings, db_session, now
from advisory.models import Role, Staff
from advisory.services import staff_sessions
from advisory.services.sign_in import needs_enrolment
from advisory.transaction import unit_of_work

log = logging.getLogger(__name__)

# Blueprints that make up the staff surface: each of their endpoints needs a declared rule.
STAFF_BLUEPRINTS = frozenset({"auth", "queue", "coordinator", "notices", "admin"})
ALL_ROLES = frozenset(Role)

# On every answer to a lawyer's session past enrolment: where their browser may unlock keys.
KEY_HOLDER_HEADER = "Advisory-Holds-Keys"

PUBLIC = "public"
ENROLLING = "enrolling"
AccessRule = frozenset[Role] | str
_RULE_ATTRIBUTE = "advisory_access_rule"

View = TypeVar("View", bound=Callable[..., object])


def require_role(*roles: Role) -> Callable[[View], View]:
    if not roles:
        raise ValueError("require_role needs at least one role")
    return _declare(frozenset(roles))


def public(view: View) -> View:
    return _declare(PUBLIC)(view)


def enrolling(view: View) -> View:
    return _declare(ENROLLING)(view)


def _declare(rule: AccessRule) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        if hasattr(view, _RULE_ATTRIBUTE):
            raise ValueError(f"{view.__name__} already declares who may call it")
        setattr(view, _RULE_ATTRIBUTE, rule)
        return view

    return decorate


def access_rule(app: Flask, endpoint: str) -> AccessRule | None:
    view = app.view_functions.get(endpoint)
    rule: AccessRule | None = getattr(view, _RULE_ATTRIBUTE, None)
    return rule


def is_staff_endpoint(endpoint: str) -> bool:
    return endpoint.partition(".")[0] in STAFF_BLUEPRINTS and "." in endpoint


# --- per request -------------------------------------------------------------------------------


def enforce_access() -> Response | tuple[str, int] | None:
    endpoint = request.endpoint
    if endpoint is None or not is_staff_endpoint(endpoint):
        return None  # the anonymous surface never reads the staff cookie
    rule = access_rule(current_app, endpoint)
    if rule is None:
        log.error("staff endpoint %s declares no access rule; refused", endpoint)
        return _forbidden()
    if rule == PUBLIC:
        return None
    staff = current_staff()
    if staff is None:
        return redirect(url_for("auth.login"))
    if g.staff_session.enrolling and rule != ENROLLING:
        return redirect(url_for("auth.welcome"))
    if not g.staff_session.enrolling and rule == ENROLLING:
        return redirect(url_for("auth.home"))
    if isinstance(rule, frozenset) and staff.role not in rule:
        return _forbidden()
    return None


def current_staff() -> Staff | None:
    """The signed-in staff member of this request, or None; remembered on `g`."""
    if "staff" in g:
        staff: Staff | None = g.staff
        return staff
    g.staff = None
    secret_key = _secret_key()
    value = request.cookies.get(sessions.COOKIE_NAME)
    if value is None or secret_key is None:
        return None
    staff_session = sessions.decode(secret_key, value)
    at = now()
    if staff_session is None or staff_session.expired(at):
        g.staff_cookie = ""  # cleared on the way out
        return None
    staff = staff_sessions.session_holder(
        db_session(), staff_id=staff_session.staff_id, sid=staff_session.sid
    )
    if (
        staff is None
        or not staff.active
        or staff.session_epoch != staff_session.epoch
        or (staff_session.enrolling and not needs_enrolment(staff))
    ):
        g.staff_cookie = ""
        return None
    g.staff = staff
    g.staff_session = staff_session.touched(at)
    g.staff_cookie = sessions.encode(secret_key, g.staff_session)
    return staff


def begin_session(staff: Staff, *, enrolling: bool) -> None:
    """Sign `staff` in on this request's response, with a new session id."""
    secret_key = _secret_key()
    if secret_key is None:
        raise RuntimeError("no secret key: run `flask --app advisory init`")
    g.staff_session = sessions.start_session(
        staff.id, staff.session_epoch, now(), enrolling=enrolling
    )
    g.staff = staff
    g.staff_cookie = sessions.encode(secret_key, g.staff_session)


def end_session() -> None:
    """Sign this browser out: its session id is revoked on the server and the cookie cleared.

    The revocation is committed here, after whatever the view committed, so that a copy of
    the cookie is refused from this response on; the browser's other sessions stay.
    """
    staff_session: sessions.StaffSession | None = g.get("staff_session")
    if g.get("staff") is not None and staff_session is not None:
        with unit_of_work():
            staff_sessions.revoke_session(
                db_session(),
                sid=staff_session.sid,
                expires_at=staff_session.valid_until,
                now=now(),
            )
    g.staff = None
    g.staff_cookie = ""


def write_session_cookie(response: Response) -> Response:
    """Refresh (idle timeout), set or clear the staff cookie as this request decided."""
    value: str | None = g.get("staff_cookie")
    if value is None:
        return response
    secure = current_settings().secure_cookies
    if value:
        sessions.set_cookie(response, value, secure=secure)
    else:
        sessions.clear_cookie(response, secure=secure)
    return response


def mark_key_holder(response: Response) -> Response:
    """Tell a lawyer's browser, past enrolment, that this session holds keys.

    The sign-in and credential scripts fetch the person's key material only where the page
    they were let into says so (static/js/staff-keys.js): coordinators and administrators
    hold none, and asking for it would only be refused.
    """
    staff: Staff | None = g.get("staff")
    staff_session: sessions.StaffSession | None = g.get("staff_session")
    enrolled = staff_session is not None and not staff_session.enrolling
    if staff is not None and staff.role is Role.LAWYER and enrolled:
        response.headers[KEY_HOLDER_HEADER] = "1"
    return response


def _secret_key() -> bytes | None:
    secrets = current_settings().secrets
    return secrets.secret_key if secrets is not None else None


def _forbidden() -> tuple[str, int]:
    return render_template("auth/forbidden.html"), 403


def register_access(app: App) -> None:
    app.before_request(enforce_access)
    app.after_request(write_session_cookie)
    app.after_request(mark_key_holder)
