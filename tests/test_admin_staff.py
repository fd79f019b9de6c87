"""Administrators manage staff accounts in the web: list, add, deactivate, reactivate, reset.

Only administrators reach these pages; a new one-time password is shown once, with no-store;
a mistake is explained beside the field and changes nothing; the services do the work and
write the audit events.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import crypto
from advisory import passwords, totp
from advisory.auth import sessions
from advisory.models import AuditEvent, Case, Role, Staff
from advisory.url_converters import MAX_ROW_ID
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW, TEST_SECRETS, new_case, unusable_staff
from tests.reporter_helpers import page_of
from tests.test_queue import sign_in_as

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
SECRET_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"])
PAGE = "/staff/admin/staff"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ACTIONS = ["deactivate", "reactivate", "reset"]
# Stand-ins for a lawyer's key pair: only their presence matters to these pages.
PUBLIC = "PUBLICKEYPUBLICKEYPUBLICKEYPUBLICKEYPUBLICK"
WRAPPED = "wrapped-private-key-stand-in"


@pytest.fixture
def ready(db_session, line):
    """Add a staff member who has finished their first sign-in (no usable password)."""
    line_id = line.id  # read now: after a request the line's row is no longer loaded
    numbers = itertools.count(1)

    def ready(role: Role = Role.LAWYER, **fields):
        defaults = {
            "username": f"{role.value}-{next(numbers)}",
            "line_id": line_id if role is Role.LAWYER else None,
            "must_change_password": False,
            "totp_confirmed": True,
        }
        staff = unusable_staff(role, **{**defaults, **fields})
        db_session.add(staff)
        db_session.flush()
        return staff

    return ready


@pytest.fixture
def admin(client, db_session, ready) -> int:
    """An administrator signed in on `client`, reading the pages in English; their id."""
    me = ready(Role.ADMIN, username="root")
    sign_in_as(client, db_session, me)
    with client.session_transaction() as session:
        session["lang"] = "en"
    return me.id


def post(client: FlaskClient, path: str, **data: str):
    token = TOKEN.search(client.get(PAGE).get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": token, **data})


def account(db_session, username: str) -> Staff:
    db_session.expire_all()
    return db_session.scalars(select(Staff).where(Staff.username == username)).one()


def accounts(db_session) -> list[str]:
    return list(db_session.scalars(select(Staff.username).order_by(Staff.username)))


def audited(db_session) -> list[tuple[str, dict]]:
    events = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(event.action, json.loads(event.detail)) for event in events]


def one_time_password(response) -> str:
    return page_of(response).by_id("one-time-password").text.strip()


def shown_password_works(db_session, username: str, password: str) -> bool:
    stored = account(db_session, username).password_hash
    derived = crypto.derive_staff_credentials(password, crypto.instance_id(DATA_KEY), username)
    return passwords.verify_auth_key(stored, derived.auth_key)


def open_case(lawyer: Staff) -> Case:
    return new_case(lawyer.line_id, reference="OPEN-0001", assigned_lawyer_id=lawyer.id)


def status_words(item) -> str:
    """An account's name and the words under it, without its forms' hints."""
    [name], [meta] = item.find_all("h2"), item.find_all("p", **{"class": "meta"})
    return " ".join(f"{name.text} {meta.text}".split())


def row_forms(response, staff_id: int) -> list[str]:
    """The actions offered on an account's row, by the path their forms post to."""
    prefix = f"{PAGE}/{staff_id}/"
    forms = page_of(response).find_all("form")
    return sorted(
        form.attrs["action"].removeprefix(prefix)
        for form in forms
        if form.attrs.get("action", "").startswith(prefix)
    )


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_every_account_in_status_words_only(client, db_session, ready, admin):
    keyed = ready(Role.LAWYER, username="keyed", public_key=PUBLIC, wrapped_private_key=WRAPPED)
    ready(Role.LAWYER, username="keyless")
    ready(Role.COORDINATOR, username="figures", must_change_password=True)
    gone = ready(Role.LAWYER, username="gone", active=False)
    db_session.commit()

    response = client.get(PAGE)

    assert response.status_code == 200
    items = page_of(response).find_all("li", **{"class": "staff-account"})
    text = {item.attrs["id"]: status_words(item) for item in items}
    assert len(items) == 5
    keyed_row = text[f"account-{keyed.id}"]
    assert "Lawyer · active · first sign-in done · key pair made" in keyed_row
    assert any("keyless" in row and "no key pair yet" in row for row in text.values())
    assert any("figures" in row and "first sign-in not done yet" in row for row in text.values())
    assert "deactivated" in text[f"account-{gone.id}"]
    assert not any("key pair" in row for row in text.values() if "Coordinator" in row)
    # Never key material, hashes or sealed seeds
    html = response.get_data(as_text=True)
    assert PUBLIC not in html
    assert WRAPPED not in html
    assert "$argon2id$" not in html
    assert "not-a-real-secret" not in html


def test_each_row_offers_what_fits_the_account(client, db_session, ready, admin):
    active = ready(Role.LAWYER, username="active")
    inactive = ready(Role.LAWYER, username="inactive", active=False)
    db_session.commit()

    response = client.get(PAGE)

    assert row_forms(response, active.id) == ["deactivate", "reset"]
    assert row_forms(response, inactive.id) == ["reactivate"]
    assert row_forms(response, admin) == []


# --- adding ------------------------------------------------------------------------------------


def test_an_added_lawyer_gets_a_one_time_password_shown_once(client, db_session, admin):
    response = post(client, PAGE, username="  Bob.Lawyer ", role="lawyer")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = one_time_password(response)
    assert len(password) == 16
    bob = account(db_session, "bob.lawyer")
    assert (bob.role, bob.active, bob.must_change_password) == (Role.LAWYER, True, True)
    assert bob.line_id is not None
    assert shown_password_works(db_session, "bob.lawyer", password)
    text = " ".join(page_of(response).one("main").text.split())
    assert "in a safe way" in text
    assert "choose their own password and connect an authenticator app" in text
    assert (
        "Their browser makes their key pair; a colleague who holds the line key then grants it "
        "from the Colleagues page." in text
    )
    assert "earlier access to the line key" not in text
    # The TOTP seed is replaced at enrolment: it is not shown
    seed = totp.open_seed(DATA_KEY, bob.totp_secret_encrypted)
    assert seed not in response.get_data(as_text=True)
    assert "otpauth" not in response.get_data(as_text=True)
    # The service wrote the one audit event; the view added none
    assert audited(db_session) == [("staff.added", {"staff": "bob.lawyer", "role": "lawyer"})]
    # Shown once and stored nowhere in clear, as the page says
    assert password not in client.get(PAGE).get_data(as_text=True)
    assert password not in dump_database(db_session.connection())


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_other_roles_are_added_without_the_key_pair_sentences(client, db_session, admin, role):
    response = post(client, PAGE, username="newcomer", role=role.value)

    assert response.status_code == 200
    assert account(db_session, "newcomer").role is role
    assert account(db_session, "newcomer").line_id is None
    assert "key pair" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("taken", "There is already an account with this username"),
        ("TAKEN ", "There is already an account with this username"),
        ("ab", "Use 3 to 64 characters"),
        ("bob smith", "Use 3 to 64 characters"),
        ("-bob", "Use 3 to 64 characters"),
        ("x" * 65, "Use 3 to 64 characters"),
        ("x" * 20_000, "Use 3 to 64 characters"),
        ("bøb", "Use 3 to 64 characters"),
        ("bo\x00b", "cannot be stored"),
        ("", "Give the person's username"),
    ],
)
def test_a_bad_or_taken_username_is_kept_and_explained(
    client, db_session, ready, admin, typed, message
):
    ready(Role.LAWYER, username="taken")
    db_session.commit()
    before = accounts(db_session)

    response = post(client, PAGE, username=typed, role="lawyer")

    assert response.status_code == 400
    page = page_of(response)
    assert message in page.by_id("username-error").text
    kept = page.one("input", name="username").value
    assert kept == typed.replace("\x00", "")
    assert page.selected("role") == ["lawyer"]
    assert accounts(db_session) == before
    assert audited(db_session) == []


@pytest.mark.parametrize("role", ["superuser", "", "LAWYER", "lawyer\x00"])
def test_an_unknown_role_is_explained_and_nothing_is_added(client, db_session, admin, role):
    response = post(client, PAGE, username="carol", role=role)

    assert response.status_code == 400
    assert "Choose one of the roles in the list." in page_of(response).by_id("role-error").text
    assert page_of(response).one("input", name="username").value == "carol"
    assert "carol" not in accounts(db_session)


def test_a_lawyer_before_the_line_exists_is_explained(client, db_session):
    # Given an installation where `init` has not made the line yet
    me = unusable_staff(
        Role.ADMIN, username="root", must_change_password=False, totp_confirmed=True
    )
    db_session.add(me)
    sign_in_as(client, db_session, me)
    with client.session_transaction() as session:
        session["lang"] = "en"

    response = post(client, PAGE, username="early", role="lawyer")

    assert response.status_code == 400
    assert "there is no line yet" in page_of(response).by_id("role-error").text
    assert accounts(db_session) == ["root"]


def test_a_form_body_too_large_is_refused_before_any_view(client, db_session, admin):
    response = post(client, PAGE, username="x" * 100_000, role="lawyer")

    assert response.status_code == 413
    assert accounts(db_session) == ["root"]


# --- deactivating ------------------------------------------------------------------------------


def test_deactivation_needs_the_box_ticked_and_changes_nothing_without(
    client, db_session, ready, admin
):
    alice = ready(Role.LAWYER, username="alice")
    db_session.commit()

    response = post(client, f"{PAGE}/{alice.id}/deactivate")

    assert response.status_code == 400
    page = page_of(response)
    assert "Tick the box to confirm" in page.by_id(f"deactivate-{alice.id}-confirm-error").text
    assert "open" in page.by_id(f"deactivate-{alice.id}-confirm").parent.parent.parent.attrs
    assert (account(db_session, "alice").active, account(db_session, "alice").session_epoch) == (
        True,
        0,
    )
    assert audited(db_session) == []


def test_a_confirmed_deactivation_ends_the_account_and_its_sessions(
    app, client, db_session, ready, admin
):
    alice = ready(Role.LAWYER, username="alice")
    alice_id = alice.id
    db_session.add(open_case(alice))
    theirs = app.test_client()
    sign_in_as(theirs, db_session, alice)
    assert theirs.get("/staff").status_code == 200

    response = post(client, f"{PAGE}/{alice_id}/deactivate", confirm="y")

    assert response.status_code == 303
    assert response.headers["Location"] == PAGE
    alice = account(db_session, "alice")
    assert (alice.active, alice.session_epoch) == (False, 1)
    assert [action for action, _detail in audited(db_session)] == [
        "staff.deactivated",
        "case.unassigned",
    ]
    assert db_session.scalars(select(Case.assigned_lawyer_id)).one() is None
    listed = " ".join(page_of(client.get(PAGE)).one("main").text.split())
    assert "alice is deactivated" in listed
    assert "1 open case is unassigned again." in listed
    # Their session is over: the next request is sent to the sign-in page
    assert theirs.get("/staff").headers["Location"] == "/staff/login"


# --- reactivating and resetting ----------------------------------------------------------------


def test_reactivation_gives_a_new_one_time_password(client, db_session, ready, admin):
    gone = ready(Role.LAWYER, username="gone", active=False)
    db_session.commit()

    response = post(client, f"{PAGE}/{gone.id}/reactivate")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = one_time_password(response)
    assert len(password) == 16
    back = account(db_session, "gone")
    assert (back.active, back.must_change_password, back.totp_confirmed) == (True, True, False)
    assert shown_password_works(db_session, "gone", password)
    assert "earlier access to the line key is gone" in response.get_data(as_text=True)
    assert [action for action, _detail in audited(db_session)] == ["staff.reactivated"]


def test_an_active_account_is_not_reactivated(client, db_session, ready, admin):
    alice = ready(Role.LAWYER, username="alice")
    db_session.commit()

    response = post(client, f"{PAGE}/{alice.id}/reactivate")

    assert response.status_code == 409
    assert "alice is already active." in response.get_data(as_text=True)
    assert account(db_session, "alice").session_epoch == 0
    assert audited(db_session) == []


def test_a_confirmed_reset_starts_the_account_over(client, db_session, ready, admin):
    alice = ready(Role.LAWYER, username="alice", public_key=PUBLIC, wrapped_private_key=WRAPPED)
    db_session.commit()

    unconfirmed = post(client, f"{PAGE}/{alice.id}/reset")
    assert unconfirmed.status_code == 400
    assert account(db_session, "alice").public_key == PUBLIC

    response = post(client, f"{PAGE}/{alice.id}/reset", confirm="y")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = one_time_password(response)
    assert len(password) == 16
    alice = account(db_session, "alice")
    assert (alice.public_key, alice.wrapped_private_key) == (None, None)
    assert (alice.must_change_password, alice.totp_confirmed, alice.session_epoch) == (
        True,
        False,
        1,
    )
    assert shown_password_works(db_session, "alice", password)
    text = " ".join(page_of(response).one("main").text.split())
    assert "Their earlier access to the line key is gone and must be granted again." in text
    assert [action for action, _detail in audited(db_session)] == ["staff.reset"]


def test_a_deactivated_account_is_reactivated_not_reset(client, db_session, ready, admin):
    gone = ready(Role.LAWYER, username="gone", active=False)
    db_session.commit()

    response = post(client, f"{PAGE}/{gone.id}/reset", confirm="y")

    assert response.status_code == 409
    assert "Reactivate the account instead" in response.get_data(as_text=True)
    assert account(db_session, "gone").active is False
    assert audited(db_session) == []


@pytest.mark.parametrize("action", ["deactivate", "reset"])
def test_an_admin_cannot_deactivate_or_reset_themselves(client, db_session, admin, action):
    response = post(client, f"{PAGE}/{admin}/{action}", confirm="y")

    assert response.status_code == 400
    assert f"You cannot {action} your own account" in response.get_data(as_text=True)
    me = account(db_session, "root")
    assert (me.active, me.session_epoch, me.must_change_password) == (True, 0, False)
    assert client.get(PAGE).status_code == 200  # still signed in
    assert audited(db_session) == []


# --- who may, and what is refused --------------------------------------------------------------


def admin_routes(app) -> list[tuple[str, str]]:
    return [
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def test_the_admin_routes_are_the_ones_this_file_and_test_admin_lines_test(app):
    assert sorted(admin_routes(app)) == [
        ("/staff/admin/lines", "GET"),
        ("/staff/admin/lines", "POST"),
        ("/staff/admin/lines/<slug>", "GET"),
        ("/staff/admin/lines/<slug>", "POST"),
        ("/staff/admin/metrics", "GET"),
        ("/staff/admin/staff", "GET"),
        ("/staff/admin/staff", "POST"),
        ("/staff/admin/staff/<id:staff_id>/deactivate", "POST"),
        ("/staff/admin/staff/<id:staff_id>/lines", "POST"),
        ("/staff/admin/staff/<id:staff_id>/reactivate", "POST"),
        ("/staff/admin/staff/<id:staff_id>/reset", "POST"),
    ]


@pytest.mark.parametrize("role", [Role.LAWYER, Role.COORDINATOR])
def test_lawyers_and_coordinators_are_refused_every_admin_route(
    app, client, db_session, ready, role
):
    visitor = ready(role)
    other = ready(Role.LAWYER, username="other", active=False)
    other_id = other.id
    sign_in_as(client, db_session, visitor)
    token = TOKEN.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    data = {"csrf_token": token, "confirm": "y", "username": "mallory", "role": "admin"}
    data |= {"slug": "mallory", "name": "Mallory", "country": "SE", "timezone": "UTC"}

    for rule, method in admin_routes(app):
        path = rule.replace("<id:staff_id>", str(other_id)).replace("<slug>", "test")
        response = client.open(path, method=method, data=data if method == "POST" else None)
        assert response.status_code == 403, (method, path)

    assert accounts(db_session) == sorted([visitor.username, "other"])
    assert account(db_session, "other").active is False
    assert audited(db_session) == []


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db_session):
    assert client.get(PAGE).headers["Location"] == "/staff/login"


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("staff_id", ["999999", str(MAX_ROW_ID + 1), str(2**63), "0", "-1", "x"])
def test_an_unknown_or_impossible_id_is_not_found(client, db_session, admin, action, staff_id):
    response = post(client, f"{PAGE}/{staff_id}/{action}", confirm="y")

    assert response.status_code == 404
    assert audited(db_session) == []


@pytest.mark.parametrize("action", [*ACTIONS, None])
def test_every_post_needs_the_csrf_token(client, db_session, ready, admin, action):
    alice = ready(Role.LAWYER, username="alice", active=action != "reactivate")
    db_session.commit()
    path = PAGE if action is None else f"{PAGE}/{alice.id}/{action}"

    response = client.post(path, data={"confirm": "y", "username": "mallory", "role": "admin"})

    assert response.status_code == 400
    assert accounts(db_session) == ["alice", "root"]
    assert account(db_session, "alice").session_epoch == 0
    assert audited(db_session) == []


def test_a_session_cookie_of_an_admin_who_was_deactivated_opens_nothing(
    app, client, db_session, ready, admin
):
    # Given a second administrator, signed in elsewhere
    other = ready(Role.ADMIN, username="other-admin")
    other_id = other.id
    elsewhere = app.test_client()
    started = sessions.start_session(other_id, 0, DEFAULT_NOW, enrolling=False)
    db_session.commit()
    elsewhere.set_cookie(sessions.COOKIE_NAME, sessions.encode(SECRET_KEY, started))
    assert elsewhere.get(PAGE).status_code == 200

    # When the first deactivates them
    assert post(client, f"{PAGE}/{other_id}/deactivate", confirm="y").status_code == 303

    # Then their pages are closed to them
    assert elsewhere.get(PAGE).headers["Location"] == "/staff/login"
