"""Staff sign-in: authentication key + TOTP, lockout with a growing delay, first enrolment.

The password never arrives: the browser sends the authentication key it derives from it
(crypto.staff_credentials), and the account keeps argon2id of that key. An account from
before the split proves its password with the tag of its old hash instead (a legacy proof,
advisory/services/credentials.py) and is moved to the split by that sign-in.

Every way a sign-in can fail (unknown user, wrong password, wrong or reused code, locked or
inactive account) gives the caller the same `None`; only the audit event says which, and never
with a key or code. An unknown username still costs one argon2 verification, against a
dummy hash of the current cost, so the answer takes as long as for a real account.

An attempt on an active account is counted before its password is checked, in one statement
that refuses to count while the account is locked (`claim_attempt`). However many attempts
arrive at once, at most FREE_FAILURES are checked against the password before the lock, then
one each time a lock runs out; the others are refused as locked (against the dummy hash).

A TOTP code is good once: the time step of every accepted code is recorded on the account
(`Staff.totp_last_step`), and a code of that step or an earlier one is refused like a wrong
code, so a code seen over someone's shoulder or in a proxy log cannot sign in again.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, literal, null, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from advisory import audit, passwords, totp
from advisory.models import CredentialScheme, Role, Staff, WrapKind
from advisory.services.credentials import covers_legacy_wraps
from advisory.services.reply_signatures import SignatureError, register_signing_key
from advisory.services.staff_keys import KeyPair, StaffKeyError, replace_key_pair, store_grants
from advisory.timestamps import UTCDateTime

FREE_FAILURES = 5  # failures before the first lock
MAX_LOCK = timedelta(hours=1)


class EnrolmentError(ValueError):
    """The new password or the confirmation code was not accepted; the message says why."""


@dataclass(frozen=True)
class SignedIn:
    staff: Staff
    # True when the account must still choose a password and enrol a TOTP device.
    enrolling: bool


def lock_duration(failures: int) -> timedelta | None:
    """The lock after `failures` consecutive failures: none, then 1, 2, 4 … minutes, ≤ 1 hour."""
    if failures < FREE_FAILURES:
        return None
    return min(timedelta(minutes=2 ** min(failures - FREE_FAILURES, 10)), MAX_LOCK)


def needs_enrolment(staff: Staff) -> bool:
    return staff.must_change_password or not staff.totp_confirmed


def sign_in(
    session: Session,
    *,
    username: str,
    auth_key: bytes,
    legacy_proof: bytes | None,
    code: str,
    data_key: bytes,
    now: datetime,
) -> SignedIn | None:
    """Check the credentials; on success reset the failure count (flush only)."""
    staff = session.scalars(select(Staff).where(Staff.username == username.strip().lower())).first()
    if staff is None or not staff.active:
        passwords.verify_auth_key(_dummy_hash(), auth_key)
        _refused(session, staff, reason="unknown_user" if staff is None else "inactive", now=now)
        return None
    if not claim_attempt(session, staff, now=now):
        # Locked: nothing is checked; the dummy makes the answer take as long.
        passwords.verify_auth_key(_dummy_hash(), auth_key)
        _refused(session, staff, reason="locked", now=now)
        return None
    if not _proves_password(staff, auth_key, legacy_proof):
        _refused(session, staff, reason="password", now=now)
        return None
    if staff.totp_confirmed:
        verdict = accept_code(session, staff, code=code, data_key=data_key, now=now)
        if verdict is not CodeVerdict.ACCEPTED:
            _refused(session, staff, reason=verdict.value, now=now)
            return None
    if staff.credential_scheme is CredentialScheme.PASSWORD:
        _upgrade_credentials(session, staff, auth_key, now=now)

    staff.failed_logins = 0
    staff.locked_until = None
    enrolling = needs_enrolment(staff)
    if enrolling:
        # A fresh seed at every enrolment; it counts only once a code from it is confirmed.
        staff.totp_secret_encrypted = totp.seal_seed(data_key, totp.new_seed())
        staff.totp_confirmed = False
        # No code of the new seed has been used yet; the old seed's steps mean nothing for it.
        staff.totp_last_step = None
    else:
        staff.last_sign_in_at = now
    stage: audit.Detail = {"stage": "enrolment" if enrolling else "complete"}
    audit.record(session, action="staff.sign_in", now=now, actor_staff_id=staff.id, detail=stage)
    return SignedIn(staff, enrolling)


def _proves_password(staff: Staff, auth_key: bytes, legacy_proof: bytes | None) -> bool:
    if staff.credential_scheme is CredentialScheme.SPLIT_V1:
        return passwords.verify_auth_key(staff.password_hash, auth_key)
    # The proof is the tag stored in the hash: whoever copied the database has it. Only an
    # account whose TOTP is confirmed may use it, so the copy alone signs nobody in; one that
    # never finished its first sign-in needs a reset.
    proven = (
        staff.totp_confirmed
        and legacy_proof is not None
        and passwords.legacy_proof_matches(staff.password_hash, legacy_proof)
    )
    # The comparison above is cheap: spend what a split account's check costs, so the time
    # of the answer does not tell which kind of account this is.
    passwords.verify_auth_key(_dummy_hash(), auth_key)
    return proven


def _upgrade_credentials(session: Session, staff: Staff, auth_key: bytes, *, now: datetime) -> None:
    """A legacy account proved its password: from now on it signs in with `auth_key`. Its
    line keys wrapped under the password stay until its browser turns them into grants."""
    staff.password_hash = passwords.hash_auth_key(auth_key)
    staff.credential_scheme = CredentialScheme.SPLIT_V1
    session.flush()
    audit.record(session, action="staff.credentials_upgraded", now=now, actor_staff_id=staff.id)


class CodeVerdict(enum.StrEnum):
    ACCEPTED = "accepted"
    WRONG = "code"  # the values are the audit log's reasons
    REUSED = "code_reused"


def accept_code(
    session: Session, staff: Staff, *, code: str, data_key: bytes, now: datetime
) -> CodeVerdict:
    """Check `code` against the account's seed and spend it: its step is recorded (flush only).

    A code of the last accepted step or an earlier one is REUSED. The caller answers REUSED
    exactly as WRONG; both take the same path, and only the audit reason differs. The step is
    checked again inside the UPDATE, so two requests racing with one code cannot both win.
    """
    step = totp.matching_step(totp.open_seed(data_key, staff.totp_secret_encrypted), code, now)
    if step is None:
        return CodeVerdict.WRONG
    if staff.totp_last_step is not None and step <= staff.totp_last_step:
        return CodeVerdict.REUSED
    spent = session.execute(
        update(Staff)
        .where(
            Staff.id == staff.id,
            or_(Staff.totp_last_step.is_(None), Staff.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        return CodeVerdict.REUSED
    set_committed_value(staff, "totp_last_step", step)
    return CodeVerdict.ACCEPTED


def complete_enrolment(
    session: Session,
    staff: Staff,
    *,
    new_auth_key: bytes,
    key_pair: KeyPair | None,
    converted_grants: dict[str, str],
    signing_public_key: str | None = None,
    code: str,
    data_key: bytes,
    now: datetime,
) -> None:
    """Set the chosen password's authentication key, a lawyer's new key pair (with the line
    keys they held under the old password, as grants to it), and confirm the TOTP seed with
    a current code (flush only). The password's strength is checked in the browser: the
    server never sees it."""
    if passwords.verify_auth_key(staff.password_hash, new_auth_key):
        raise EnrolmentError("same_as_before")
    if staff.role is Role.LAWYER and key_pair is None:
        raise EnrolmentError("needs_key")
    if not covers_legacy_wraps(session, staff, converted_grants):
        raise EnrolmentError("needs_current")
    if accept_code(session, staff, code=code, data_key=data_key, now=now) is not (
        CodeVerdict.ACCEPTED
    ):
        raise EnrolmentError("wrong_code")
    if key_pair is not None and staff.role is Role.LAWYER:
        try:
            replace_key_pair(session, staff, key_pair, data_key=data_key, now=now)
            if signing_public_key:
                register_signing_key(staff, signing_public_key, data_key=data_key)
            store_grants(
                session,
                staff,
                converted_grants,
                kinds=(WrapKind.STAFF,),
                new_rows=False,
                now=now,
            )
        except (StaffKeyError, SignatureError) as exc:
            raise EnrolmentError(exc.reason) from None
    staff.password_hash = passwords.hash_auth_key(new_auth_key)
    staff.credential_scheme = CredentialScheme.SPLIT_V1
    staff.must_change_password = False
    staff.totp_confirmed = True
    staff.last_sign_in_at = now
    session.flush()
    audit.record(session, action="staff.password_changed", now=now, actor_staff_id=staff.id)
    audit.record(session, action="staff.totp_enrolled", now=now, actor_staff_id=staff.id)


def enrolment_seed(staff: Staff, data_key: bytes) -> str:
    return totp.open_seed(data_key, staff.totp_secret_encrypted)


def record_sign_out(session: Session, staff_id: int, *, now: datetime) -> None:
    audit.record(session, action="staff.sign_out", now=now, actor_staff_id=staff_id)


def sign_out_everywhere(session: Session, staff: Staff, *, now: datetime) -> None:
    """End every session of `staff`: each carries the epoch it was issued under (flush only)."""
    staff.session_epoch += 1
    session.flush()
    audit.record(session, action="staff.sign_out_everywhere", now=now, actor_staff_id=staff.id)


def claim_attempt(session: Session, staff: Staff, *, now: datetime) -> bool:
    """Count this attempt as a failure before anything is checked; False while locked.

    One statement counts, and sets the lock once the count reaches it, only if the account
    is not locked: parallel attempts cannot all pass the check before any of them counts.
    It also keeps the row locked until the commit (SQLite: the request's write lock), so
    the attempts on one account take turns. A success resets the count.
    """
    failures = Staff.failed_logins + 1
    claimed = session.execute(
        update(Staff)
        .where(Staff.id == staff.id, or_(Staff.locked_until.is_(None), Staff.locked_until <= now))
        .values(failed_logins=failures, locked_until=_lock_after(failures, now))
        .returning(Staff.failed_logins, Staff.locked_until)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is None:
        return False
    set_committed_value(staff, "failed_logins", claimed[0])
    set_committed_value(staff, "locked_until", claimed[1])
    return True


def _lock_after(failures: ColumnElement[int], now: datetime) -> ColumnElement[datetime | None]:
    """`now + lock_duration(failures)` in SQL: one bound instant per step of the delay."""
    steps: list[tuple[ColumnElement[bool], ColumnElement[datetime]]] = []
    count = FREE_FAILURES
    while (lock := lock_duration(count)) is not None and lock < MAX_LOCK:
        steps.append((failures == count, literal(now + lock, UTCDateTime())))
        count += 1
    longest = (failures >= count, literal(now + MAX_LOCK, UTCDateTime()))
    return case(*steps, longest, else_=null())


def _refused(session: Session, staff: Staff | None, *, reason: str, now: datetime) -> None:
    audit.record(
        session,
        action="staff.sign_in_failed",
        now=now,
        actor_staff_id=staff.id if staff is not None else None,
        detail={"reason": reason},
    )


@functools.cache
def _dummy_hash_for(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return passwords.hash_auth_key(b"not the authentication key of anyone at all")


def _dummy_hash() -> str:
    # Keyed by the current cost, so the dummy takes as long to verify as a real hash.
    return _dummy_hash_for(passwords.TIME_COST, passwords.MEMORY_COST_KIB, passwords.PARALLELISM)
