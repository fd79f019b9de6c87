"""Route × role × line: a lawyer of one line never reaches a case of another, by its address,
by any of its actions or scripts' APIs, by a notice, in the queue, or through a colleague."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from advisory.models import AuditEvent, Case, Notification, Role, Staff, WrappedKey
from tests.conftest import DEFAULT_NOW
from tests.line_helpers import music_line_with_a_case
from tests.test_queue import sign_in_as

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
OTHER_REFERENCE = "MUSK-0001"


@pytest.fixture
def other_line_case(db_session, line_key):
    """A second line, its key, a lawyer and a case of its own, with a note for its lawyers."""
    line = music_line_with_a_case(db_session, line_key.line, OTHER_REFERENCE).line
    case = db_session.scalars(select(Case).where(Case.reference == OTHER_REFERENCE)).one()
    note = db_session.scalars(select(Notification)).one()
    colleague = Staff(
        username="musikk-lawyer",
        role=Role.LAWYER,
        line_id=line.id,
        password_hash="$argon2id$not-a-real-hash",
        totp_secret_encrypted="r1.not-a-real-secret",
        must_change_password=False,
        totp_confirmed=True,
        public_key="A" * 43,
        wrapped_private_key="wrapped",
        created_at=DEFAULT_NOW,
    )
    db_session.add(colleague)
    db_session.commit()
    assert note is not None
    return case.id, note.id, colleague.id


def case_routes(app: Flask) -> list[tuple[str, str]]:
    """Every lawyer route that names a case, with the other line's case and ids filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "reference" not in rule.arguments:
            continue
        values = {name: "1" for name in rule.arguments} | {"reference": OTHER_REFERENCE}
        path = rule.build(values)[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def test_every_route_of_another_lines_case_is_not_found(
    app, client, db_session, lawyer, other_line_case
):
    sign_in_as(client, db_session, lawyer)
    token = TOKEN.search(client.get("/queue").get_data(as_text=True)).group(1)
    routes = case_routes(app)
    assert len(routes) >= 12  # the walk really found the case's pages, actions and APIs

    answers = {
        (method, path): client.open(
            path,
            method=method,
            data={"csrf_token": token} if method == "POST" else None,
            headers={"X-CSRFToken": token} if method == "PUT" else None,
        ).status_code
        for method, path in routes
    }

    assert {route: status for route, status in answers.items() if status != 404} == {}
    opened = db_session.scalars(
        select(AuditEvent).where(AuditEvent.case_reference == OTHER_REFERENCE)
    ).all()
    assert opened == []  # nothing was read, taken or written


def test_another_lines_case_is_in_no_list_count_or_note(
    client, db_session, lawyer, other_line_case
):
    _case_id, note_id, _colleague_id = other_line_case
    sign_in_as(client, db_session, lawyer)

    queue = client.get("/queue").get_data(as_text=True)
    notices = client.get("/notices").get_data(as_text=True)
    token = TOKEN.search(notices).group(1)
    marked = client.post(f"/notices/{note_id}/read", data={"csrf_token": token})

    assert OTHER_REFERENCE not in queue
    assert OTHER_REFERENCE not in notices
    assert marked.status_code == 404


def test_a_colleague_of_another_line_is_not_offered_nor_granted_the_key(
    client, db_session, lawyer, other_line_case
):
    _case_id, _note_id, colleague_id = other_line_case
    sign_in_as(client, db_session, lawyer)

    page = client.get("/staff/colleagues").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    granted = client.post(
        f"/staff/colleagues/{colleague_id}/grant",
        data={"csrf_token": token, "grant": "x", "fingerprint": "x"},
    )

    assert "musikk-lawyer" not in page
    assert granted.status_code == 404
    grants = db_session.scalars(select(WrappedKey).where(WrappedKey.staff_id == colleague_id))
    assert grants.all() == []
