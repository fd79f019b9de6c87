"""`flask --app advisory keys …`: granting, revoking, rotating and listing the line key.

Commands run through the Flask CLI runner inside the test's rolled-back transaction, on every
configured database; secrets are typed at hidden prompts through `input=`. Key wrapping uses a
test-only low PBKDF2 count. A lawyer's own key pair is made here as their browser would make it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from click.testing import Result
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

import crypto
from advisory import passwords
from advisory.models import AuditEvent, Line, LineKey, Role, Staff, WrapKind, WrappedKey
from tests.conftest import DEFAULT_NOW
from tests.staff_credentials import auth_key_bytes, give_key_pair

CROCKFORD_GROUP = "[0-9A-HJKMNP-TV-Z]{4}"
RECOVERY_PASSPHRASE = re.compile(rf"\b{CROCKFORD_GROUP}(?:-{CROCKFORD_GROUP}){{7}}\b")
ALICE_PASSWORD = "correct horse battery staple"
WRONG_RECOVERY = "0000-0000-0000-0000-0000-0000-0000-0000"
# Each lawyer's own private key, as only their browser would hold it.
OWN_KEYS: dict[str, X25519PrivateKey] = {}


# Key wrapping at a test-only cost here; a test asks for `real_kdf_cost` to get the real one.
pytestmark = pytest.mark.usefixtures("cheap_key_wrapping")


@pytest.fixture
def recovery(runner) -> str:
    """Initialise the line; the recovery passphrase `init` printed."""
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    return _recovery_passphrase(result.output)


@pytest.fixture
def add_member(db_session) -> Callable[..., str]:
    """Add a staff member whose password is ALICE_PASSWORD (lawyers join the line, so after
    `init`); returns the username, as each command closes the session and detaches objects."""

    def add_member(
        username: str, role: Role = Role.LAWYER, active: bool = True, enrolled: bool = True
    ) -> str:
        line_id = db_session.scalars(select(Line.id).order_by(Line.id).limit(1)).first()
        staff = Staff(
            username=username,
            role=role,
            line_id=line_id if role is Role.LAWYER else None,
            password_hash=passwords.hash_auth_key(auth_key_bytes(ALICE_PASSWORD, username)),
            totp_secret_encrypted="r1.not-a-real-secret",
            active=active,
            created_at=DEFAULT_NOW,
        )
        db_session.add(staff)
        db_session.flush()
        if enrolled:
            OWN_KEYS[username] = give_key_pair(db_session, staff, ALICE_PASSWORD)
        db_session.commit()  # a command's rollback of a refusal must not undo the member
        return username

    return add_member


@pytest.fixture
def alice(recovery, add_member) -> str:
    return add_member("alice")


def _recovery_passphrase(output: str) -> str:
    found = RECOVERY_PASSPHRASE.search(output)
    assert found, output
    return found.group(0)


def _grant(runner, username: str, recovery: str) -> Result:
    return runner.invoke(args=["keys", "grant", username], input=f"{recovery}\n")


def _rotate(runner, recovery: str, *options: str) -> Result:
    return runner.invoke(args=["keys", "rotate", *options], input=f"{recovery}\n")


@dataclass(frozen=True)
class Key:
    """A line key's columns, still readable after a command has closed the session."""

    id: int
    key_id: str
    public_key: str
    retired_at: datetime | None


def _keys(db_session) -> list[Key]:
    return [
        Key(key.id, key.key_id, key.public_key, key.retired_at)
        for key in db_session.scalars(select(LineKey).order_by(LineKey.id))
    ]


def _staff(db_session, username: str) -> Staff:
    return db_session.scalars(select(Staff).where(Staff.username == username)).one()


def _wraps(db_session, kind: WrapKind, username: str | None = None) -> dict[int, str]:
    """line_key.id → blob for the wraps of one kind (and one staff member)."""
    query = select(WrappedKey).where(WrappedKey.kind == kind)
    if username is not None:
        query = query.where(WrappedKey.staff_id == _staff(db_session, username).id)
    return {wrapped.line_key_id: wrapped.blob for wrapped in db_session.scalars(query)}


def _granted(db_session, grant: str, key: Key, username: str) -> str:
    """The public key of the line key a grant holds, opened with the lawyer's own key."""
    staff_id = _staff(db_session, username).id
    opened = crypto.open_grant(grant, key.key_id, staff_id, OWN_KEYS[username])
    return crypto.public_key_to_text(opened.public_key())


def _public(blob: str, passphrase: str) -> str:
    return crypto.public_key_to_text(crypto.unwrap_private_key(blob, passphrase).public_key())


def _opens(blob: str, passphrase: str) -> bool:
    try:
        crypto.unwrap_private_key(blob, passphrase)
    except crypto.WrongPassphrase:
        return False
    return True


# --- grant --------------------------------------------------------------------------------------


def test_grant_seals_the_recovered_key_to_the_lawyers_own_key(runner, db_session, alice, recovery):
    result = _grant(runner, "alice", recovery)

    assert result.exit_code == 0, result.output
    [line_key] = _keys(db_session)
    assert line_key.key_id in result.output
    granted = _wraps(db_session, WrapKind.GRANT, alice)
    assert set(granted) == {line_key.id}
    # The grant opens with the lawyer's own key to the very key the recovery blob holds.
    recovered = _wraps(db_session, WrapKind.RECOVERY)[line_key.id]
    assert _granted(db_session, granted[line_key.id], line_key, alice) == line_key.public_key
    assert _public(recovered, crypto.normalise_recovery_passphrase(recovery)) == (
        line_key.public_key
    )
    # The fingerprint to compare is printed; the recovery passphrase is not echoed.
    public_key = crypto.public_key_from_text(_staff(db_session, alice).public_key)
    assert crypto.fingerprint(public_key) in result.output
    assert recovery not in result.output


def test_grant_refuses_a_lawyer_who_has_not_made_a_key_pair(
    runner, db_session, add_member, recovery
):
    add_member("bob", enrolled=False)

    result = _grant(runner, "bob", recovery)

    assert result.exit_code != 0
    assert "no key pair yet" in result.output
    assert "Recovery passphrase" not in result.output
    assert _wraps(db_session, WrapKind.GRANT) == {}


def test_grant_accepts_the_recovery_passphrase_typed_loosely(runner, db_session, alice, recovery):
    loose = recovery.replace("-", " ").lower()

    result = _grant(runner, "alice", loose)

    assert result.exit_code == 0, result.output
    assert len(_wraps(db_session, WrapKind.GRANT, alice)) == 1


def test_grant_covers_retired_keys_so_old_cases_stay_readable(runner, db_session, alice, recovery):
    # Given a line whose first key was rotated out under the same recovery passphrase
    assert _rotate(runner, recovery).exit_code == 0
    old_key, new_key = _keys(db_session)

    # When a lawyer is granted the key
    result = _grant(runner, "alice", recovery)

    # Then they hold both keys, each opening with their own key
    assert result.exit_code == 0, result.output
    granted = _wraps(db_session, WrapKind.GRANT, alice)
    assert set(granted) == {old_key.id, new_key.id}
    for key in (old_key, new_key):
        assert _granted(db_session, granted[key.id], key, alice) == key.public_key
        assert key.key_id in result.output


def test_grant_reports_keys_under_an_earlier_recovery_passphrase(
    runner, db_session, alice, recovery
):
    # Given `init --force`, which wraps its new key under a new recovery passphrase
    forced = runner.invoke(args=["init", "--force"])
    assert forced.exit_code == 0, forced.output
    old_key, new_key = _keys(db_session)

    result = _grant(runner, "alice", _recovery_passphrase(forced.output))

    assert result.exit_code == 0, result.output
    assert set(_wraps(db_session, WrapKind.GRANT, alice)) == {new_key.id}
    assert f"Not granted: {old_key.key_id}" in result.output


def test_granting_again_replaces_the_lawyers_grant(runner, db_session, alice, recovery):
    assert _grant(runner, "alice", recovery).exit_code == 0
    [first] = _wraps(db_session, WrapKind.GRANT, alice).values()

    result = _grant(runner, "alice", recovery)

    assert result.exit_code == 0, result.output
    [second] = _wraps(db_session, WrapKind.GRANT, alice).values()
    [line_key] = _keys(db_session)
    assert second != first
    assert _granted(db_session, second, line_key, alice) == line_key.public_key


@pytest.mark.parametrize(
    ("typed_recovery", "complaint"),
    [
        (WRONG_RECOVERY, "does not open the current line key"),
        ("not a passphrase", "recovery passphrase"),
    ],
)
def test_grant_with_a_wrong_secret_refuses_and_stores_nothing(
    runner, db_session, alice, recovery, typed_recovery, complaint
):
    before = db_session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))

    result = _grant(runner, "alice", typed_recovery)

    assert result.exit_code != 0
    assert complaint in result.output
    assert "Traceback" not in result.output
    assert _wraps(db_session, WrapKind.GRANT) == {}
    after = db_session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    assert after == before


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"role": Role.COORDINATOR}, "only lawyers hold the line key"),
        ({"role": Role.ADMIN}, "only lawyers hold the line key"),
        ({"active": False}, "is not active"),
    ],
)
def test_grant_refuses_anyone_but_an_active_lawyer(
    runner, db_session, add_member, recovery, overrides, complaint
):
    add_member("bob", **overrides)

    result = _grant(runner, "bob", recovery)

    assert result.exit_code != 0
    assert complaint in result.output
    # Refused before asking for any secret.
    assert "Recovery passphrase" not in result.output
    assert _wraps(db_session, WrapKind.GRANT) == {}


def test_grant_refuses_an_unknown_username(runner, db_session, recovery):
    result = _grant(runner, "nobody", recovery)

    assert result.exit_code != 0
    assert "There is no staff member called 'nobody'" in result.output


def test_grant_refuses_a_lawyer_without_a_line(runner, db_session, add_member):
    add_member("alice")  # before `init`, so there is no line to join

    result = _grant(runner, "alice", WRONG_RECOVERY)

    assert result.exit_code != 0
    assert "alice belongs to no line" in result.output
    assert _wraps(db_session, WrapKind.GRANT) == {}


def test_grant_is_audited_without_secrets(runner, db_session, alice, recovery):
    assert _grant(runner, "alice", recovery).exit_code == 0

    [event] = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "line_key.granted"))
    [line_key] = _keys(db_session)
    assert json.loads(event.detail) == {"key_ids": line_key.key_id, "staff": "alice"}
    assert recovery not in event.detail


# --- revoke -------------------------------------------------------------------------------------


def test_revoke_deletes_every_wrap_the_staff_member_holds(
    runner, db_session, alice, add_member, recovery
):
    # Given two lawyers holding two keys each
    add_member("carol")
    assert _rotate(runner, recovery).exit_code == 0
    assert _grant(runner, "alice", recovery).exit_code == 0
    assert _grant(runner, "carol", recovery).exit_code == 0
    old_key, new_key = _keys(db_session)

    # When one of them is revoked
    result = runner.invoke(args=["keys", "revoke", "alice"])

    # Then only her wraps are gone, the other lawyer's and the recovery wraps stay
    assert result.exit_code == 0, result.output
    assert old_key.key_id in result.output
    assert new_key.key_id in result.output
    assert _wraps(db_session, WrapKind.GRANT, alice) == {}
    assert set(_wraps(db_session, WrapKind.GRANT, "carol")) == {old_key.id, new_key.id}
    assert set(_wraps(db_session, WrapKind.RECOVERY)) == {old_key.id, new_key.id}
    [event] = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "line_key.revoked"))
    assert json.loads(event.detail) == {
        "staff": "alice",
        "key_ids": f"{old_key.key_id},{new_key.key_id}",
    }


def test_revoke_works_for_a_lawyer_already_deactivated(runner, db_session, alice, recovery):
    assert _grant(runner, "alice", recovery).exit_code == 0
    _staff(db_session, alice).active = False
    db_session.flush()

    result = runner.invoke(args=["keys", "revoke", "alice"])

    assert result.exit_code == 0, result.output
    assert _wraps(db_session, WrapKind.GRANT) == {}


def test_revoke_of_someone_holding_nothing_changes_nothing(runner, db_session, alice, recovery):
    result = runner.invoke(args=["keys", "revoke", "alice"])

    assert result.exit_code == 0, result.output
    assert "held no line key" in result.output
    revoked = select(AuditEvent).where(AuditEvent.action == "line_key.revoked")
    assert db_session.scalars(revoked).all() == []


def test_revoke_refuses_an_unknown_username(runner, db_session):
    result = runner.invoke(args=["keys", "revoke", "nobody"])

    assert result.exit_code != 0
    assert "There is no staff member called 'nobody'" in result.output


# --- rotate -------------------------------------------------------------------------------------


def test_rotate_starts_a_new_key_under_the_same_recovery_passphrase(
    runner, db_session, alice, add_member, recovery
):
    # Given a lawyer holding the key, and one who was never granted it
    add_member("dave")
    assert _grant(runner, "alice", recovery).exit_code == 0

    # When the key is rotated
    result = _rotate(runner, recovery)

    # Then the old key is retired, a new one is active, and one passphrase opens both
    assert result.exit_code == 0, result.output
    old_key, new_key = _keys(db_session)
    assert old_key.retired_at == DEFAULT_NOW
    assert new_key.retired_at is None
    assert new_key.key_id != old_key.key_id
    assert f"Line key {new_key.key_id} created; {old_key.key_id} retired." in result.output
    normalised = crypto.normalise_recovery_passphrase(recovery)
    recovered = _wraps(db_session, WrapKind.RECOVERY)
    for key in (old_key, new_key):
        assert _public(recovered[key.id], normalised) == key.public_key
    # And the lawyer keeps the old key (old cases) but is named as needing the new one
    assert set(_wraps(db_session, WrapKind.GRANT, alice)) == {old_key.id}
    assert "must be granted the new key" in result.output
    assert "keys grant USERNAME --line main`" in result.output  # the line rotated
    assert "read old cases but not new ones" in result.output
    assert "  alice" in result.output.splitlines()
    assert "dave" not in result.output
    assert not RECOVERY_PASSPHRASE.search(result.output)
    [event] = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "line_key.rotated"))
    assert json.loads(event.detail) == {
        "key_id": new_key.key_id,
        "replaces": old_key.key_id,
        "new_recovery_passphrase": False,
    }


def test_rotate_with_a_new_recovery_passphrase_rewraps_every_key(runner, db_session, recovery):
    assert _rotate(runner, recovery).exit_code == 0

    result = _rotate(runner, recovery, "--new-recovery-passphrase")

    assert result.exit_code == 0, result.output
    fresh = _recovery_passphrase(result.output)
    assert fresh != recovery
    keys = _keys(db_session)
    assert [key.retired_at is None for key in keys] == [False, False, True]
    recovered = _wraps(db_session, WrapKind.RECOVERY)
    for key in keys:
        assert _public(recovered[key.id], fresh) == key.public_key
        assert not _opens(recovered[key.id], crypto.normalise_recovery_passphrase(recovery))
    # The fresh passphrase now grants everything.
    assert _rotate(runner, fresh).exit_code == 0


@pytest.mark.parametrize("typed", [WRONG_RECOVERY, "too short"])
def test_rotate_with_a_wrong_recovery_passphrase_changes_nothing(
    runner, db_session, recovery, typed
):
    [before] = _keys(db_session)

    result = _rotate(runner, typed)

    assert result.exit_code != 0
    assert "recovery passphrase" in result.output.lower()
    assert _keys(db_session) == [before]
    assert before.retired_at is None


def test_rotate_before_init_says_so(runner, db_session):
    result = _rotate(runner, WRONG_RECOVERY)

    assert result.exit_code != 0
    assert "init" in result.output
    assert _keys(db_session) == []


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_each_key_and_its_holders_without_secrets(
    runner, db_session, alice, add_member, recovery
):
    add_member("erin")
    assert _grant(runner, "alice", recovery).exit_code == 0
    assert _grant(runner, "erin", recovery).exit_code == 0
    assert _rotate(runner, recovery).exit_code == 0
    assert _grant(runner, "alice", recovery).exit_code == 0
    _staff(db_session, "erin").active = False
    db_session.flush()

    result = runner.invoke(args=["keys", "list"])

    assert result.exit_code == 0, result.output
    old_key, new_key = _keys(db_session)
    rows = {line.split()[1]: line for line in result.output.splitlines()[1:]}
    assert set(rows) == {old_key.key_id, new_key.key_id}
    # line, key id, created (date time), retired (date time, or "active"), recovery, holders
    created = ["2026-11-23", "09:00"]
    assert rows[old_key.key_id].split()[2:7] == [*created, "2026-11-23", "09:00", "yes"]
    assert rows[new_key.key_id].split()[2:6] == [*created, "active", "yes"]
    assert {row.split()[0] for row in rows.values()} == {"main"}
    assert rows[old_key.key_id].endswith(" alice, erin (inactive)")
    assert rows[new_key.key_id].endswith(" alice")
    for blob in db_session.scalars(select(WrappedKey.blob)):
        sealed = json.loads(blob)["ciphertext"] if blob.startswith("{") else blob.split(".")[2]
        assert sealed not in result.output
    assert recovery not in result.output
    assert ALICE_PASSWORD not in result.output


def test_list_before_init_says_so(runner, db_session):
    result = runner.invoke(args=["keys", "list"])

    assert result.exit_code == 0, result.output
    assert "No line key yet" in result.output
