"""Taking someone off the line: `flask --app advisory staff deactivate USERNAME`.

Deactivation must leave them nothing: no sign-in, no live session, no wrapped line key, no
open case waiting with them. Their open cases go back to unassigned, where every lawyer of the
line sees them; everything is in the audit log.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from advisory import passwords, totp
from advisory.models import (
    AuditEvent,
    Case,
    CaseStatus,
    LineKey,
    Role,
    Staff,
    WrapKind,
    WrappedKey,
)
from advisory.services.queue import QueueFilter, queue_page
from advisory.services.staff import StaffError, deactivate_staff
from tests.conftest import DEFAULT_NOW, TEST_SECRETS
from tests.staff_credentials import auth_key_bytes, auth_key_for
from tests.test_auth import PASSWORD, enrolled_lawyer

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])


@pytest.fixture
def line_keys(db_session, line) -> list[LineKey]:
    """A retired and a current line key (public halves only; wraps are added per test)."""
    keys = [
        LineKey(line_id=line.id, key_id="k-old", public_key="old", created_at=DEFAULT_NOW),
        LineKey(line_id=line.id, key_id="k-new", public_key="new", created_at=DEFAULT_NOW),
    ]
    keys[0].retired_at = DEFAULT_NOW
    db_session.add_all(keys)
    db_session.flush()
    return keys


def wrap_for(db_session, staff: Staff, keys: list[LineKey]) -> None:
    for key in keys:
        db_session.add(
            WrappedKey(
                line_key_id=key.id,
                kind=WrapKind.STAFF,
                staff_id=staff.id,
                blob=f"wrapped {key.key_id} for {staff.username}",
                created_at=DEFAULT_NOW,
            )
        )
    db_session.flush()


@dataclass(frozen=True)
class Leaving:
    """Ids only: objects of the test's session are detached once a command has run."""

    alice: int
    colleague: int
    cases: dict[str, int]


@pytest.fixture
def leaving(db_session, make_staff, make_case, line_keys) -> Leaving:
    """A lawyer with both keys and three cases (two open, one closed), and a colleague."""
    alice = make_staff(username="alice")
    colleague = make_staff(username="carol")
    wrap_for(db_session, alice, line_keys)
    wrap_for(db_session, colleague, line_keys[1:])
    cases = {
        "new": make_case(reference="CASE-0001", assigned_lawyer_id=alice.id),
        "in_progress": make_case(
            reference="CASE-0002", assigned_lawyer_id=alice.id, status=CaseStatus.IN_PROGRESS
        ),
        "closed": make_case(
            reference="CASE-0003",
            assigned_lawyer_id=alice.id,
            status=CaseStatus.CLOSED,
            closed_at=DEFAULT_NOW,
        ),
        "colleagues": make_case(reference="CASE-0004", assigned_lawyer_id=colleague.id),
    }
    ids = Leaving(alice.id, colleague.id, {name: case.id for name, case in cases.items()})
    db_session.commit()
    return ids


def staff(db_session, staff_id: int) -> Staff:
    return db_session.get(Staff, staff_id, populate_existing=True)


def assignee(db_session, case_id: int) -> int | None:
    return db_session.get(Case, case_id, populate_existing=True).assigned_lawyer_id


def audit_trail(db_session) -> list[tuple[str, str | None, dict]]:
    events = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.action, e.case_reference, json.loads(e.detail)) for e in events]


def wraps_of(db_session, staff_id: int) -> list[str]:
    query = (
        select(LineKey.key_id)
        .join(WrappedKey, WrappedKey.line_key_id == LineKey.id)
        .where(WrappedKey.staff_id == staff_id)
        .order_by(LineKey.key_id)
    )
    return list(db_session.scalars(query))


# --- the command --------------------------------------------------------------------------------


def test_deactivate_takes_away_sign_in_sessions_keys_and_open_cases(runner, db_session, leaving):
    result = runner.invoke(args=["staff", "deactivate", "alice", "--yes"])

    assert result.exit_code == 0, result.output
    alice = staff(db_session, leaving.alice)
    assert alice.active is False
    assert alice.session_epoch == 1
    assert wraps_of(db_session, leaving.alice) == []
    assert wraps_of(db_session, leaving.colleague) == ["k-new"]  # nobody else loses a key
    cases = leaving.cases
    assert assignee(db_session, cases["new"]) is None
    assert assignee(db_session, cases["in_progress"]) is None
    in_progress = db_session.get(Case, cases["in_progress"])
    assert in_progress.status is CaseStatus.IN_PROGRESS  # only the assignee changes
    assert assignee(db_session, cases["closed"]) == leaving.alice  # figures keep who handled it
    assert assignee(db_session, cases["colleagues"]) == leaving.colleague
    assert "Deactivated alice" in result.output
    assert "k-old, k-new" in result.output
    assert "2 open case(s) back to unassigned" in result.output
    assert "CASE-0001, CASE-0002" in result.output


def test_deactivation_is_audited_with_each_case_that_lost_its_assignee(runner, db_session, leaving):
    runner.invoke(args=["staff", "deactivate", "alice", "--yes"])

    assert audit_trail(db_session) == [
        ("line_key.revoked", None, {"staff": "alice", "key_ids": "k-old,k-new"}),
        ("staff.deactivated", None, {"staff": "alice", "was_active": True, "unassigned": 2}),
        ("case.unassigned", "CASE-0001", {"from": "alice", "reason": "staff_deactivated"}),
        ("case.unassigned", "CASE-0002", {"from": "alice", "reason": "staff_deactivated"}),
    ]


def test_deactivate_asks_first_and_a_no_changes_nothing(runner, db_session, leaving):
    result = runner.invoke(args=["staff", "deactivate", "alice"], input="n\n")

    assert result.exit_code != 0
    assert "Deactivate alice?" in result.output
    alice = staff(db_session, leaving.alice)
    assert (alice.active, alice.session_epoch) == (True, 0)
    assert wraps_of(db_session, leaving.alice) == ["k-new", "k-old"]
    assert assignee(db_session, leaving.cases["new"]) == leaving.alice
    assert audit_trail(db_session) == []


def test_deactivate_goes_ahead_when_confirmed_at_the_prompt(runner, db_session, leaving):
    result = runner.invoke(args=["staff", "deactivate", "ALICE"], input="y\n")

    assert result.exit_code == 0, result.output
    assert staff(db_session, leaving.alice).active is False


def test_deactivate_names_an_unknown_user_and_changes_nothing(runner, db_session, leaving):
    result = runner.invoke(args=["staff", "deactivate", "mallory", "--yes"])

    assert result.exit_code != 0
    assert "There is no staff member called 'mallory'" in result.output
    assert "Traceback" not in result.output
    assert audit_trail(db_session) == []


def test_deactivating_again_finishes_what_is_left_and_says_so(runner, db_session, leaving):
    assert runner.invoke(args=["staff", "deactivate", "alice", "--yes"]).exit_code == 0

    again = runner.invoke(args=["staff", "deactivate", "alice", "--yes"])

    assert again.exit_code == 0, again.output
    assert "alice was already inactive" in again.output
    assert "They held no line key." in again.output
    assert "They had no open cases." in again.output
    assert audit_trail(db_session)[-1] == (
        "staff.deactivated",
        None,
        {"staff": "alice", "was_active": False, "unassigned": 0},
    )


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_staff_without_keys_or_cases_are_deactivated_too(runner, db_session, make_staff, role):
    someone = make_staff(role, username="someone").id
    db_session.commit()

    result = runner.invoke(args=["staff", "deactivate", "someone", "--yes"])

    assert result.exit_code == 0, result.output
    deactivated = staff(db_session, someone)
    assert (deactivated.active, deactivated.session_epoch) == (False, 1)


def test_staff_list_shows_the_deactivated_as_inactive(runner, db_session, leaving):
    runner.invoke(args=["staff", "deactivate", "alice", "--yes"])

    listing = runner.invoke(args=["staff", "list"])

    rows = {line.split()[0]: line.split()[2] for line in listing.output.splitlines()[1:]}
    assert rows == {"alice": "no", "carol": "yes"}


# --- what the rest of the line sees -------------------------------------------------------------


def test_their_open_cases_are_in_every_lawyers_unassigned_queue(db_session, leaving, app):
    deactivate_staff(db_session, username="alice", now=DEFAULT_NOW)

    page = queue_page(
        db_session,
        lawyer=staff(db_session, leaving.colleague),
        filter=QueueFilter.UNASSIGNED,
        status=None,
        priority=None,
        page=1,
        now=DEFAULT_NOW,
        at_risk_opening_hours=2,
    )
    assert [row.reference for row in page.rows] == ["CASE-0001", "CASE-0002"]


def test_deactivate_staff_refuses_an_unknown_name(db_session):
    with pytest.raises(StaffError, match="no staff member called 'nobody'"):
        deactivate_staff(db_session, username="nobody", now=DEFAULT_NOW)


# --- the person themselves ----------------------------------------------------------------------


def csrf_token(client, path: str = "/staff/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(client, code: str):
    data = {"username": "dora", "auth_key": auth_key_for(PASSWORD, "dora"), "code": code}
    return client.post("/staff/login", data={**data, "csrf_token": csrf_token(client)})


@pytest.fixture
def dora(db_session, line):
    """An enrolled lawyer who can sign in: (account, TOTP seed)."""
    return enrolled_lawyer(db_session, "dora")


def test_a_signed_in_session_ends_at_deactivation_and_no_new_one_starts(
    runner, client, clock, dora, app, db_session
):
    _staff, seed = dora
    assert sign_in(client, pyotp.TOTP(seed).at(clock[0])).status_code == 302
    assert client.get("/staff").status_code == 200

    assert runner.invoke(args=["staff", "deactivate", "dora", "--yes"]).exit_code == 0

    assert client.get("/staff").headers["Location"] == "/staff/login"
    clock[0] += timedelta(seconds=30)  # a fresh code: refused for being inactive, not reused
    assert sign_in(app.test_client(), pyotp.TOTP(seed).at(clock[0])).status_code == 401
    assert audit_trail(db_session)[-1] == ("staff.sign_in_failed", None, {"reason": "inactive"})


# --- coming back --------------------------------------------------------------------------------


def test_reactivation_starts_afresh_with_new_credentials_and_nothing_from_before(
    runner, db_session, leaving
):
    runner.invoke(args=["staff", "deactivate", "alice", "--yes"])
    before = staff(db_session, leaving.alice)
    old_hash, old_seed, old_epoch = (
        before.password_hash,
        before.totp_secret_encrypted,
        before.session_epoch,
    )

    result = runner.invoke(args=["staff", "reactivate", "alice"])

    assert result.exit_code == 0, result.output
    alice = staff(db_session, leaving.alice)
    assert alice.active is True
    assert (alice.must_change_password, alice.totp_confirmed) == (True, False)
    assert (alice.failed_logins, alice.locked_until, alice.totp_last_step) == (0, None, None)
    assert alice.session_epoch == old_epoch + 1
    assert alice.password_hash != old_hash
    assert alice.totp_secret_encrypted != old_seed
    one_time = re.search(
        r"One-time password \(must be changed at first sign-in\): (\S+)", result.output
    )
    assert one_time is not None
    assert passwords.verify_auth_key(
        alice.password_hash, auth_key_bytes(one_time.group(1), "alice")
    )
    assert totp.open_seed(DATA_KEY, alice.totp_secret_encrypted) not in result.output
    # Keys and cases stay where deactivation left them; the way back to the key is named
    assert wraps_of(db_session, leaving.alice) == []
    assert assignee(db_session, leaving.cases["new"]) is None
    assert "keys grant alice" in result.output
    assert audit_trail(db_session)[-1] == ("staff.reactivated", None, {"staff": "alice"})


def test_an_active_account_is_not_reactivated(runner, db_session, leaving):
    epoch = staff(db_session, leaving.alice).session_epoch

    result = runner.invoke(args=["staff", "reactivate", "alice"])

    assert result.exit_code != 0
    assert "only a deactivated account" in result.output
    assert staff(db_session, leaving.alice).session_epoch == epoch


def test_reactivate_names_an_unknown_user(runner, db_session, leaving):
    result = runner.invoke(args=["staff", "reactivate", "nobody"])

    assert result.exit_code != 0
    assert "no staff member called 'nobody'" in result.output
