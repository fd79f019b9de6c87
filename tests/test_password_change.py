"""Changing one's password: checked, audited, other sessions ended, line keys carried over."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

import crypto
from advisory import passwords
from advisory.auth import sessions
from advisory.models import AuditEvent, LineKey, Role, Staff, WrappedKey
from advisory.services import password_change
from advisory.services.line_keys import grant_line_key
from tests import reporter_helpers as rh
from tests.conftest import DEFAULT_NOW
from tests.test_queue import sign_in_as

OLD, NEW = "old password, long enough", "new password, long enough"


@pytest.fixture(autouse=True)
def line_key(db_session, line):
    return rh.set_up_line_key(db_session)


def staff_with_password(make_staff, role: Role) -> Staff:
    return make_staff(
        role,
        password_hash=passwords.hash_password(OLD),
        must_change_password=False,
        totp_confirmed=True,
    )


@pytest.fixture
def lawyer_with_key(db_session, make_staff, line_key) -> Staff:
    lawyer = staff_with_password(make_staff, Role.LAWYER)
    grant_line_key(
        db_session,
        line_key=db_session.scalars(select(LineKey)).one(),
        private_key=line_key.private_key,
        staff=lawyer,
        passphrase=OLD,
        now=DEFAULT_NOW,
        iterations=1000,
    )
    return lawyer


def post_change(client, **fields: str):
    page = rh.page_of(client.get("/staff/password"))
    data = {
        "csrf_token": page.input_value("csrf_token"),
        "current_password": OLD,
        "new_password": NEW,
        "repeat_password": NEW,
        **fields,
    }
    return client.post("/staff/password", data=data)


def reload(db_session, staff_id: int) -> Staff:
    db_session.expire_all()
    return db_session.get(Staff, staff_id)


def test_a_coordinator_changes_their_password_and_other_sessions_end(
    client, db_session, make_staff
):
    coordinator = staff_with_password(make_staff, Role.COORDINATOR)
    staff_id, epoch = coordinator.id, coordinator.session_epoch
    sign_in_as(client, db_session, coordinator)
    elsewhere = sessions.encode(
        rh.settings_of(client.application).secrets.secret_key,
        sessions.start_session(staff_id, epoch, DEFAULT_NOW, enrolling=False),
    )

    response = post_change(client)

    assert response.status_code == 302
    staff = reload(db_session, staff_id)
    assert passwords.verify_password(staff.password_hash, NEW)
    assert staff.session_epoch == epoch + 1
    assert client.get("/staff").status_code == 200  # this browser got a fresh session
    other = client.application.test_client()
    other.set_cookie(sessions.COOKIE_NAME, elsewhere)
    assert other.get("/staff").status_code == 302  # the old one is gone
    actions = db_session.scalars(select(AuditEvent.action)).all()
    assert "staff.password_changed" in actions


def test_a_wrong_current_password_changes_nothing(client, db_session, make_staff):
    coordinator = staff_with_password(make_staff, Role.COORDINATOR)
    staff_id = coordinator.id
    sign_in_as(client, db_session, coordinator)

    response = post_change(client, current_password="not it at all, no")

    assert response.status_code == 400
    assert "Det er ikke det nåværende passordet ditt" in response.get_data(as_text=True)
    assert passwords.verify_password(reload(db_session, staff_id).password_hash, OLD)


def test_a_key_holder_without_javascript_is_told_why_and_keeps_everything(
    client, db_session, lawyer_with_key
):
    staff_id = lawyer_with_key.id
    sign_in_as(client, db_session, lawyer_with_key)
    blob_before = db_session.scalars(
        select(WrappedKey.blob).where(WrappedKey.staff_id == staff_id)
    ).one()

    response = post_change(client)

    assert response.status_code == 400
    assert "JavaScript" in response.get_data(as_text=True)
    assert passwords.verify_password(reload(db_session, staff_id).password_hash, OLD)
    blob_after = db_session.scalars(
        select(WrappedKey.blob).where(WrappedKey.staff_id == staff_id)
    ).one()
    assert blob_after == blob_before


@pytest.mark.usefixtures("real_kdf_cost")
def test_the_browsers_new_wraps_replace_the_old_ones(client, db_session, lawyer_with_key, line_key):
    staff_id = lawyer_with_key.id
    key_id = db_session.scalars(select(LineKey.key_id)).one()
    sign_in_as(client, db_session, lawyer_with_key)
    new_blob = crypto.wrap_private_key(line_key.private_key, NEW)  # what the browser sends

    response = post_change(client, wrapped_keys=json.dumps({key_id: new_blob}))

    assert response.status_code == 302
    stored = db_session.scalars(
        select(WrappedKey.blob).where(WrappedKey.staff_id == staff_id)
    ).one()
    assert stored == new_blob
    opened = crypto.unwrap_private_key(stored, NEW)
    assert crypto.key_id_for(opened.public_key()) == key_id


@pytest.mark.parametrize(
    "wraps",
    [
        pytest.param(lambda key_id, private: {}, id="a key left out"),
        pytest.param(lambda key_id, private: {key_id: "not a blob"}, id="not a blob"),
        pytest.param(
            lambda key_id, private: {
                key_id: crypto.wrap_private_key(
                    private, NEW, iterations=1000, allow_weak_for_tests=True
                )
            },
            id="too cheap",
        ),
    ],
)
def test_wraps_that_do_not_fit_are_refused(client, db_session, lawyer_with_key, line_key, wraps):
    staff_id = lawyer_with_key.id
    key_id = db_session.scalars(select(LineKey.key_id)).one()
    sign_in_as(client, db_session, lawyer_with_key)

    response = post_change(client, wrapped_keys=json.dumps(wraps(key_id, line_key.private_key)))

    assert response.status_code == 400
    assert passwords.verify_password(reload(db_session, staff_id).password_hash, OLD)


@pytest.mark.parametrize(
    "text",
    ["[" * 5000, '{"a":' * 3000, "not json", "[]", '{"k": 5}', ""],
    ids=["deep-array", "deep-object", "not-json", "array", "not-text", "empty"],
)
def test_wraps_that_are_not_a_flat_object_of_texts_are_no_wraps(text):
    assert password_change.parse_rewrapped(text) is None
