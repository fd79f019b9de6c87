"""Who gets what on the staff surface: every route × every kind of visitor.

The routes come from `app.url_map`, so a new staff route is walked automatically, and
`EXPECTED_ACCESS` must name it: a route nobody thought about fails here.
"""

from __future__ import annotations

import re

import pytest
from flask import Blueprint, Flask
from werkzeug.routing import Rule

from advisory import totp
from advisory.auth import sessions
from advisory.auth.access import ENROLLING, PUBLIC, access_rule, is_staff_endpoint
from advisory.context import now
from advisory.models import Role, Staff
from tests.conftest import DEFAULT_NOW, TEST_SECRETS

LAWYER, COORDINATOR, ADMIN = Role.LAWYER, Role.COORDINATOR, Role.ADMIN
EVERY_ROLE = frozenset(Role)

# endpoint → who may use it: PUBLIC, ENROLLING (half-way through a first sign-in) or roles.
EXPECTED_ACCESS: dict[str, str | frozenset[Role]] = {
    "auth.login": PUBLIC,
    "auth.submit_login": PUBLIC,
    "auth.sign_out": PUBLIC,
    "auth.welcome": ENROLLING,
    "auth.submit_welcome": ENROLLING,
    "auth.home": EVERY_ROLE,
    "auth.choose_own_language": EVERY_ROLE,
    "auth.sign_out_everywhere": EVERY_ROLE,
    "auth.password": EVERY_ROLE,
    "auth.submit_password": EVERY_ROLE,
    "auth.legacy_challenge": PUBLIC,
    # Key material: lawyers only, never coordinators or admins.
    "auth.key_material": frozenset({LAWYER}),
    "auth.converted_keys": frozenset({LAWYER}),
    "auth.colleagues": frozenset({LAWYER}),
    "auth.grant": frozenset({LAWYER}),
    "auth.rotate_line_key": frozenset({LAWYER}),
    "queue.queue": frozenset({LAWYER}),
    "coordinator.dashboard": frozenset({COORDINATOR, ADMIN}),
    "coordinator.report": frozenset({COORDINATOR, ADMIN}),
    "coordinator.report_download": frozenset({COORDINATOR, ADMIN}),
    "queue.case_view": frozenset({LAWYER}),
    # Evidence files' sealed bytes: lawyers only, as the rest of a case's content.
    "queue.evidence": frozenset({LAWYER}),
    "queue.reveal_number": frozenset({LAWYER}),
    "queue.take": frozenset({LAWYER}),
    "queue.assign": frozenset({LAWYER}),
    "queue.decline": frozenset({LAWYER}),
    "queue.change_status": frozenset({LAWYER}),
    "queue.close": frozenset({LAWYER}),
    "queue.callback_outcome": frozenset({LAWYER}),
    "queue.reply": frozenset({LAWYER}),
    # A reply's files, uploaded sealed before it is sent: lawyers only, like the reply.
    "queue.begin_reply_upload": frozenset({LAWYER}),
    "queue.reply_upload_progress": frozenset({LAWYER}),
    "queue.reply_upload_chunks": frozenset({LAWYER}),
    "queue.phone_intake": frozenset({LAWYER}),
    "queue.submit_phone_intake": frozenset({LAWYER}),
    "queue.voicemail_intake": frozenset({LAWYER}),
    "queue.submit_voicemail": frozenset({LAWYER}),
    "admin.staff": frozenset({ADMIN}),
    "admin.add": frozenset({ADMIN}),
    "admin.deactivate": frozenset({ADMIN}),
    "admin.reactivate": frozenset({ADMIN}),
    "admin.reset": frozenset({ADMIN}),
    "admin.lines": frozenset({ADMIN}),
    "admin.add_line": frozenset({ADMIN}),
    "admin.line_settings": frozenset({ADMIN}),
    "admin.save_line_settings": frozenset({ADMIN}),
    "admin.staff_lines": frozenset({ADMIN}),
    # Counts by route name and category, never content: the same text as `flask metrics`.
    "admin.metrics": frozenset({ADMIN}),
    "notices.notices": EVERY_ROLE,
    "notices.mark_read": EVERY_ROLE,
    "notices.mark_all_read": EVERY_ROLE,
}

VISITORS = ["anonymous", "enrolling lawyer", LAWYER, COORDINATOR, ADMIN]
SECRET_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"])
DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])


def staff_routes(app: Flask) -> list[tuple[Rule, str]]:
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if is_staff_endpoint(rule.endpoint)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def expected_outcome(visitor: str | Role, allowed: str | frozenset[Role]) -> str:
    if allowed == PUBLIC:
        return "allowed"
    if visitor == "anonymous":
        return "sign-in page"
    if visitor == "enrolling lawyer":
        return "allowed" if allowed == ENROLLING else "enrolment page"
    if allowed == ENROLLING:
        return "staff home"
    assert isinstance(allowed, frozenset)
    return "allowed" if visitor in allowed else "forbidden"


def outcome(status: int, location: str | None) -> str:
    if status == 403:
        return "forbidden"
    if status in (301, 302, 303) and location is not None:
        named = {"/staff/login": "sign-in page", "/staff/welcome": "enrolment page"}
        if location in named:
            return named[location]
        if location == "/staff":
            return "staff home"
    return "allowed"  # the view itself answered (200, 400 for an empty form, a redirect …)


def test_every_staff_endpoint_declares_who_may_use_it(app):
    undeclared = [e for e in app.view_functions if is_staff_endpoint(e) if not access_rule(app, e)]

    assert undeclared == []


def test_the_expected_table_names_every_staff_endpoint_and_matches_the_declarations(app):
    endpoints = {rule.endpoint for rule, _method in staff_routes(app)}

    assert endpoints == set(EXPECTED_ACCESS)
    for endpoint, allowed in EXPECTED_ACCESS.items():
        assert access_rule(app, endpoint) == allowed, endpoint


@pytest.mark.parametrize("visitor", VISITORS, ids=str)
def test_every_staff_route_answers_each_visitor_as_expected(
    app, client, db_session, make_staff, visitor
):
    # A fresh session for every request: sign-out (everywhere) must not spoil the next one.
    staff = None
    if visitor == "enrolling lawyer":
        sealed = totp.seal_seed(DATA_KEY, totp.new_seed())
        staff = make_staff(Role.LAWYER, must_change_password=True, totp_secret_encrypted=sealed)
    elif isinstance(visitor, Role):
        staff = make_staff(visitor, must_change_password=False, totp_confirmed=True)
    identity = None if staff is None else (staff.id, not staff.totp_confirmed)
    db_session.commit()  # requests end their session: only committed rows outlive them
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    mismatches = []
    for rule, method in staff_routes(app):
        if identity is not None:
            staff_id, enrolling = identity
            epoch = db_session.get(Staff, staff_id).session_epoch
            started = sessions.start_session(staff_id, epoch, DEFAULT_NOW, enrolling=enrolling)
            client.set_cookie(sessions.COOKIE_NAME, sessions.encode(SECRET_KEY, started))
        url = rule.build({name: "1" for name in rule.arguments})[1]
        data = {"csrf_token": token} if method == "POST" else None
        # A script's PUT carries its token in the header, as the page's scripts send it.
        headers = {"X-CSRFToken": token} if method == "PUT" else None
        response = client.open(url, method=method, data=data, headers=headers)
        got = outcome(response.status_code, response.headers.get("Location"))
        want = expected_outcome(visitor, EXPECTED_ACCESS.get(rule.endpoint, "undeclared"))
        if got != want:
            mismatches.append(f"{method} {url}: {got}, expected {want}")

    assert mismatches == []


def test_a_staff_route_without_a_declared_rule_is_refused(bare_app, monkeypatch):
    from advisory.auth import access

    # A staff blueprint of its own: the real ones are already registered under their names.
    monkeypatch.setattr(access, "STAFF_BLUEPRINTS", access.STAFF_BLUEPRINTS | {"forgetful"})
    forgetful = Blueprint("forgetful", __name__)

    @forgetful.get("/queue-forgotten")
    def forgotten() -> str:
        return "case list"

    bare_app.register_blueprint(forgetful)
    response = bare_app.test_client().get("/queue-forgotten")

    assert response.status_code == 403
    assert "case list" not in response.get_data(as_text=True)


def test_a_role_outside_the_declared_ones_gets_the_403_page(bare_app, monkeypatch):
    from advisory.auth import access
    from advisory.auth.access import require_role

    # A staff blueprint of its own: the real coordinator blueprint is already registered.
    monkeypatch.setattr(access, "STAFF_BLUEPRINTS", access.STAFF_BLUEPRINTS | {"figures_only"})
    coordinator_area = Blueprint("figures_only", __name__)

    @coordinator_area.get("/coordinator-only")
    @require_role(Role.COORDINATOR)
    def figures() -> str:
        return "figures"

    bare_app.register_blueprint(coordinator_area)

    class Lawyer:
        role = Role.LAWYER

    def signed_in_lawyer():
        from flask import g

        g.staff_session = sessions.start_session(1, 0, now(), enrolling=False)
        return Lawyer()

    monkeypatch.setattr(access, "current_staff", signed_in_lawyer)
    response = bare_app.test_client().get("/coordinator-only")

    assert response.status_code == 403
    assert "figures" not in response.get_data(as_text=True)


def test_declaring_twice_is_a_mistake_caught_at_import():
    from advisory.auth.access import public, require_role

    with pytest.raises(ValueError, match="already declares"):
        public(require_role(Role.ADMIN)(lambda: "x"))
