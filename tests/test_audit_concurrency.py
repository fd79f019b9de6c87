"""Audited actions at the same moment: none fails because another was audited, and the chain
stays whole.

200 requests from 8 threads, each with its own client and connection, against a committed
database (SQLite file, and PostgreSQL when configured): four signed-in lawyers opening cases (an
audited read of case content) and four streams of failed sign-ins (audited refusals, one of
them locking an account as it goes). Case pages cost the most to render, so they are the
smaller share.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from advisory import audit
from advisory.extensions import db
from advisory.models import AuditEvent, Line, Role
from tests import reporter_helpers as rh
from tests.committed_app import (
    committed_app,  # noqa: F401  (fixture)
    in_parallel,
    sign_in_form,
    signed_in_client,
)
from tests.conftest import new_case, unusable_staff

LAWYERS = 4
OPENINGS_EACH = 10
CASES = 10
SIGN_IN_NAMES = ("bob", "nobody", "no-one", "bob")  # bob exists, and gets locked
SIGN_INS_EACH = 40  # 4 x 10 + 4 x 40 = 200 requests


def set_up(app: Flask) -> tuple[list[int], list[str]]:
    """Ids of enrolled lawyers of the line, and the references of open cases on it."""
    with app.app_context():
        session = db.session()
        rh.set_up_line_key(session)
        line = session.scalars(select(Line)).one()
        lawyers = [
            unusable_staff(
                Role.LAWYER,
                username=f"lawyer-{n}",
                line_id=line.id,
                must_change_password=False,
                totp_confirmed=True,
            )
            for n in range(LAWYERS)
        ]
        session.add(unusable_staff(Role.LAWYER, username="bob", line_id=line.id))
        cases = [new_case(line.id, reference=f"CASE-{n:04d}") for n in range(CASES)]
        session.add_all([*lawyers, *cases])
        session.commit()
        return [lawyer.id for lawyer in lawyers], [case.reference for case in cases]


def opening_cases(client: FlaskClient, references: list[str], offset: int) -> Callable[[], list]:
    def run() -> list[int]:
        return [
            client.get(f"/cases/{references[(offset + n) % len(references)]}").status_code
            for n in range(OPENINGS_EACH)
        ]

    return run


def failing_sign_ins(client: FlaskClient, username: str) -> Callable[[], list]:
    token = sign_in_form(client)
    data = {"username": username, "auth_key": "A" * 43, "code": "", "csrf_token": token}

    def run() -> list[int]:
        return [client.post("/staff/login", data=data).status_code for _ in range(SIGN_INS_EACH)]

    return run


def test_two_hundred_concurrent_audited_actions_all_succeed_and_keep_the_chain_whole(
    committed_app: Flask,  # noqa: F811
):
    lawyers, references = set_up(committed_app)
    with committed_app.app_context():
        before = audit.event_count(db.session())
    jobs = [
        opening_cases(signed_in_client(committed_app, lawyer), references, offset=2 * n)
        for n, lawyer in enumerate(lawyers)
    ] + [failing_sign_ins(committed_app.test_client(), username) for username in SIGN_IN_NAMES]

    statuses = Counter(status for results in in_parallel(jobs) for status in results)

    openings, sign_ins = LAWYERS * OPENINGS_EACH, len(SIGN_IN_NAMES) * SIGN_INS_EACH
    assert openings + sign_ins == 200
    assert statuses == {200: openings, 401: sign_ins}
    with committed_app.app_context():
        session = db.session()
        assert audit.verify_chain(session) is None
        actions = Counter(session.scalars(select(AuditEvent.action).where(AuditEvent.seq > before)))
        assert actions == {"case.opened": openings, "staff.sign_in_failed": sign_ins}
        assert audit.head(session).seq == before + 200
