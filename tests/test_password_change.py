"""Changing one's password in the browser: checked, audited, other sessions ended, the
lawyer's private key re-wrapped, and no password ever sent."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

import crypto
from advisory import passwords
from advisory.auth import sessions
from advisory.models import AuditEvent, LineKey, Role, Staff, WrapKind, WrappedKey
from advisory.services.staff_keys import StaffKeyError, parse_grants
from tests import reporter_helpers as rh
from tests.staff_credentials import auth_key_bytes, auth_key_for, credentials_for, give_line_key
from tests.support.line_key_wraps import wrapped_under_password
from tests.test_queue import sign_in_as

OLD, NEW = "old password, long enough", "new password, long enough"


@pytest.fixture(autouse=True)
def line_key(db_session, line):
    return rh.set_up_line_key(db_session)


def staff_with_password(make_staff, role: Role) -> Staff:
    staff = make_staff(role, must_change_password=False, totp_confirmed=True)
    staff.password_hash = passwords.hash_auth_key(auth_key_bytes(OLD, staff.username))
    return staff


@pytest.fixture
def lawyer_with_key(db_session, make_staff, line_key) -> Staff:
    lawyer = staff_with_password(make_staff, Role.LAWYER)
    key = db_session.scalars(select(LineKey)).one()
    give_line_key(db_session, lawyer, key, line_key.private_key, OLD)
    return lawyer


def rewrapped(staff: Staff) -> str:
    """What the browser sends for the lawyer's private key: the same key under NEW."""
    old = credentials_for(OLD, staff.username).wrap_key
    private = crypto.unwrap_staff_private_key(staff.wrapped_private_key, old, staff.id)
    new = credentials_for(NEW, staff.username).wrap_key
    return crypto.wrap_staff_private_key(private, new, staff.id)


def post_change(client, username: str, current: str = OLD, new: str = NEW, **fields: str):
    page = rh.page_of(client.get("/staff/password"))
    data = {
        "csrf_token": page.input_value("csrf_token"),
        "current_auth_key": auth_key_for(current, username),
        "new_auth_key": auth_key_for(new, username),
        **fields,
    }
    return client.post("/staff/password", data=data)


def reload(db_session, staff_id: int) -> Staff:
    db_session.expire_all()
    return db_session.get(Staff, staff_id)


def signs_in_with(db_session, staff_id: int, password: str) -> bool:
    staff = reload(db_session, staff_id)
    return passwords.verify_auth_key(staff.password_hash, auth_key_bytes(password, staff.username))


def test_a_coordinator_changes_their_password_and_other_sessions_end(
    client, db_session, make_staff
):
    staff = staff_with_password(make_staff, Role.COORDINATOR)
    staff_id, username, epoch = staff.id, staff.username, staff.session_epoch
    sign_in_as(client, db_session, staff)

    response = post_change(client, username)

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff?password_changed=1"
    assert signs_in_with(db_session, staff_id, NEW)
    assert not signs_in_with(db_session, staff_id, OLD)
    assert reload(db_session, staff_id).session_epoch == epoch + 1
    assert client.get("/staff").status_code == 200  # this session goes on, in a fresh cookie
    cookie = client.get_cookie(sessions.COOKIE_NAME)
    assert cookie is not None
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert actions[-1] == "staff.password_changed"


def test_a_wrong_current_password_changes_nothing(client, db_session, make_staff):
    staff = staff_with_password(make_staff, Role.ADMIN)
    staff_id, username = staff.id, staff.username
    sign_in_as(client, db_session, staff)

    response = post_change(client, username, current="not my password at all")

    assert response.status_code == 400
    assert "Det er ikke det nåværende passordet ditt" in response.get_data(as_text=True)
    assert signs_in_with(db_session, staff_id, OLD)


def test_the_same_password_again_is_refused(client, db_session, make_staff):
    staff = staff_with_password(make_staff, Role.ADMIN)
    staff_id, username = staff.id, staff.username
    sign_in_as(client, db_session, staff)

    response = post_change(client, username, new=OLD)

    assert response.status_code == 400
    assert signs_in_with(db_session, staff_id, OLD)


def test_a_form_sent_without_the_script_says_javascript_is_needed(
    client, db_session, lawyer_with_key
):
    staff_id = lawyer_with_key.id
    sign_in_as(client, db_session, lawyer_with_key)
    page = rh.page_of(client.get("/staff/password"))

    # What a browser without the script sends: the password inputs have no name
    response = client.post("/staff/password", data={"csrf_token": page.input_value("csrf_token")})

    assert response.status_code == 400
    assert "JavaScript" in response.get_data(as_text=True)
    assert signs_in_with(db_session, staff_id, OLD)


def test_the_page_names_no_password_field(client, db_session, lawyer_with_key):
    sign_in_as(client, db_session, lawyer_with_key)

    page = client.get("/staff/password").get_data(as_text=True)

    assert 'type="password"' in page
    assert 'name="current_password"' not in page
    assert 'name="new_password"' not in page


def test_the_re_wrapped_private_key_replaces_the_old_one_and_opens_under_the_new_password(
    client, db_session, lawyer_with_key
):
    staff_id, username = lawyer_with_key.id, lawyer_with_key.username
    public_key = lawyer_with_key.public_key
    sign_in_as(client, db_session, lawyer_with_key)

    response = post_change(client, username, wrapped_private_key=rewrapped(lawyer_with_key))

    assert response.status_code == 302
    staff = reload(db_session, staff_id)
    assert staff.public_key == public_key  # the same pair: every grant to it still opens
    new_wrap = credentials_for(NEW, username).wrap_key
    private = crypto.unwrap_staff_private_key(staff.wrapped_private_key, new_wrap, staff_id)
    assert crypto.public_key_to_text(private.public_key()) == public_key
    old_wrap = credentials_for(OLD, username).wrap_key
    with pytest.raises(crypto.WrongPassphrase):
        crypto.unwrap_staff_private_key(staff.wrapped_private_key, old_wrap, staff_id)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({}, id="no re-wrapped key"),
        pytest.param({"wrapped_private_key": "not a blob"}, id="not a blob"),
        pytest.param({"wrapped_private_key": "{" * 400}, id="deep json"),
    ],
)
def test_a_key_holder_without_a_well_formed_re_wrap_keeps_everything(
    client, db_session, lawyer_with_key, fields
):
    staff_id, username = lawyer_with_key.id, lawyer_with_key.username
    blob_before = lawyer_with_key.wrapped_private_key
    sign_in_as(client, db_session, lawyer_with_key)

    response = post_change(client, username, **fields)

    assert response.status_code == 400
    assert signs_in_with(db_session, staff_id, OLD)
    assert reload(db_session, staff_id).wrapped_private_key == blob_before


def test_a_wrap_under_the_old_password_must_come_converted(
    client, db_session, make_staff, line_key
):
    # Given a lawyer from before key pairs: the line key wrapped under the password itself
    lawyer = staff_with_password(make_staff, Role.LAWYER)
    key = db_session.scalars(select(LineKey)).one()
    db_session.add(wrapped_under_password(key, line_key.private_key, lawyer.id, OLD))
    own = crypto.generate_keypair()
    lawyer.public_key = crypto.public_key_to_text(own.public_key())
    old_wrap = credentials_for(OLD, lawyer.username).wrap_key
    lawyer.wrapped_private_key = crypto.wrap_staff_private_key(own, old_wrap, lawyer.id)
    staff_id, username, key_id = lawyer.id, lawyer.username, key.key_id
    sign_in_as(client, db_session, lawyer)
    rewrap = rewrapped(lawyer)

    # When the change leaves it out, it is refused; when it carries the grant, it is stored
    assert post_change(client, username, wrapped_private_key=rewrap).status_code == 400
    grant = crypto.seal_grant(line_key.private_key, staff_id, own.public_key())
    converted = json.dumps({key_id: grant})
    response = post_change(client, username, wrapped_private_key=rewrap, grants=converted)

    assert response.status_code == 302
    [wrap] = db_session.scalars(select(WrappedKey).where(WrappedKey.staff_id == staff_id))
    assert (wrap.kind, wrap.blob) == (WrapKind.GRANT, grant)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000,
        '{"a":' * 3000,
        "not json",
        "[]",
        '{"0123456789abcdef": 5}',
        '{"0123456789abcdef": "not a grant"}',
        '{"0123456789abcde\\u0000": "x"}',
        '{"0123456789ABCDEF": "x"}',
    ],
    ids=[
        "deep-array",
        "deep-object",
        "not-json",
        "array",
        "not-text",
        "not-a-grant",
        "nul-in-key-id",
        "not-a-key-id",
    ],
)
def test_grants_that_are_not_a_flat_object_of_grants_are_refused(text):
    with pytest.raises(StaffKeyError):
        parse_grants(text)


def test_grants_keyed_by_something_no_key_has_are_a_400_not_a_query(
    client, db_session, lawyer_with_key
):
    sign_in_as(client, db_session, lawyer_with_key)
    token = client.get("/staff/keys").get_json()["csrfToken"]

    response = client.post(
        "/staff/keys/converted",
        data={"csrf_token": token, "grants": '{"\\u0000' + "0" * 15 + '": "x"}'},
    )

    assert response.status_code == 400
    assert response.get_json() == {"stored": False, "reason": "bad_grants"}
