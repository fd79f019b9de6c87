"""Wrong passwords sent in parallel: every attempt is counted, and the lock holds.

Real parallel requests, each thread with its own client and connection, against a database
whose rows are committed (SQLite file, and PostgreSQL when configured). A password check is
counted when `verify_auth_key` is handed the account's own hash (a locked account is checked
against a dummy hash instead, which costs as much).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from advisory import passwords
from advisory.extensions import db
from advisory.models import AuditEvent, Staff
from advisory.services.sign_in import FREE_FAILURES, lock_duration
from tests.committed_app import (
    committed_app,  # noqa: F401  (fixture)
    in_parallel,
    set_clock,
    sign_in_form,
)
from tests.conftest import DEFAULT_NOW
from tests.staff_credentials import auth_key_for
from tests.test_auth import enrolled_lawyer

WRONG_KEY = auth_key_for("wrong password", "alice")


@pytest.fixture
def alice(committed_app: Flask) -> str:  # noqa: F811
    """An enrolled lawyer's password hash (she signs in with PASSWORD and a code)."""
    with committed_app.app_context():
        staff, _ = enrolled_lawyer(db.session(), "alice")
        return staff.password_hash


@pytest.fixture
def password_checks(alice: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per verification against alice's own hash, from any thread."""
    checks: list[str] = []
    lock = threading.Lock()
    real = passwords.verify_auth_key

    def counting(password_hash: str, auth_key: bytes) -> bool:
        if password_hash == alice:
            with lock:
                checks.append(password_hash)
        return real(password_hash, auth_key)

    monkeypatch.setattr(passwords, "verify_auth_key", counting)
    return checks


def wrong_passwords_at_once(app: Flask, count: int) -> list[int]:
    """`count` sign-ins with a wrong password, sent at the same moment; their status codes."""
    clients = [app.test_client() for _ in range(count)]
    tokens = [sign_in_form(client) for client in clients]

    def attempt(index: int) -> int:
        data = {"username": "alice", "auth_key": WRONG_KEY, "code": "", "csrf_token": tokens[index]}
        return clients[index].post("/staff/login", data=data).status_code

    return in_parallel([lambda index=index: attempt(index) for index in range(count)])


def failure_reasons(app: Flask) -> Counter[str]:
    with app.app_context():
        details = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "staff.sign_in_failed")
        )
        return Counter(json.loads(detail)["reason"] for detail in details)


def account(app: Flask) -> Staff:
    with app.app_context():
        return db.session.scalars(select(Staff).where(Staff.username == "alice")).one()


def test_sixteen_wrong_passwords_at_once_get_only_the_free_failures_checked(
    committed_app: Flask,  # noqa: F811
    password_checks: list[str],
):
    statuses = wrong_passwords_at_once(committed_app, 16)

    assert statuses == [401] * 16
    assert len(password_checks) == FREE_FAILURES
    assert failure_reasons(committed_app) == {"password": FREE_FAILURES, "locked": 16 - 5}
    locked = account(committed_app)
    assert locked.failed_logins == FREE_FAILURES
    assert locked.locked_until == DEFAULT_NOW + lock_duration(FREE_FAILURES)


def test_waves_of_wrong_passwords_get_one_check_each_time_a_lock_runs_out(
    committed_app: Flask,  # noqa: F811
    password_checks: list[str],
):
    # Given 8 wrong passwords at once, then 8 more each time the lock has just run out
    moment = DEFAULT_NOW
    for wave in range(3):
        set_clock(committed_app, moment)
        assert wrong_passwords_at_once(committed_app, 8) == [401] * 8
        # Then each wave after the first gets exactly one attempt checked
        assert len(password_checks) == FREE_FAILURES + wave
        last_wave, moment = moment, account(committed_app).locked_until + timedelta(seconds=1)

    # And all 24 failures are on record, and the lock grew with each counted one
    assert failure_reasons(committed_app) == {"password": FREE_FAILURES + 2, "locked": 24 - 7}
    locked = account(committed_app)
    assert locked.failed_logins == FREE_FAILURES + 2
    assert locked.locked_until == last_wave + lock_duration(FREE_FAILURES + 2)
