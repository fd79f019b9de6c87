"""Granting, revoking and rotating the line key after `init`, with the recovery passphrase.

Everyday granting happens between lawyers in their browsers (advisory/services/staff_keys.py);
this is the path for the day no holder is left. The line private key never exists in clear
outside memory: each operation opens it from its recovery wrap, seals it again (to a
lawyer's public key, or under a new recovery passphrase) and forgets it.
Every function checks everything it can before it changes anything, so a refusal leaves the
database as it was; it flushes only, the caller commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import crypto
from advisory import audit
from advisory.models import Line, LineKey, Role, Staff, WrapKind, WrappedKey
from advisory.services.line_keys import (
    active_line_key,
    add_line_key,
    record_recovery_key,
    recovery_key_vouched,
    recovery_wrap,
)
from advisory.services.line_membership import lawyer_line_ids
from advisory.services.staff_keys import StaffKeyError, seal_grants


class KeyManagementError(ValueError):
    """A key operation cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class OpenedKeys:
    """Line keys opened with a recovery passphrase, newest first; `unopened` lists key ids."""

    keys: list[tuple[LineKey, X25519PrivateKey]]
    unopened: list[str]
    passphrase: str  # the normalised form the blobs were wrapped under

    def __repr__(self) -> str:
        return f"OpenedKeys({[key.key_id for key, _ in self.keys]}, <secrets hidden>)"


@dataclass(frozen=True)
class Grant:
    staff: Staff
    granted: list[str]  # key ids now sealed to the lawyer's public key
    unopened: list[str]  # key ids the recovery passphrase did not open
    fingerprint: str  # of the public key granted to: the lawyer sees it on their own page


@dataclass(frozen=True)
class Rotation:
    line_key: LineKey
    retired: LineKey
    # Set only when asked for: shown once, it replaces the old passphrase for `rewrapped` keys.
    new_recovery_passphrase: str | None
    rewrapped: list[str]
    not_rewrapped: list[str]
    lawyers_to_grant: list[str]

    def __repr__(self) -> str:
        return f"Rotation({self.retired.key_id} -> {self.line_key.key_id}, <secrets hidden>)"


@dataclass(frozen=True)
class KeyHolding:
    line_key: LineKey
    has_recovery: bool
    holders: list[Staff]


def lawyer_for_grant(session: Session, username: str) -> Staff:
    """The active lawyer called `username`, or KeyManagementError saying why not."""
    staff = _staff_named(session, username)
    if staff.role is not Role.LAWYER:
        raise KeyManagementError(
            f"{staff.username} is a {staff.role.value}; only lawyers hold the line key."
        )
    if not staff.active:
        raise KeyManagementError(f"{staff.username} is not active; reactivate them first.")
    if staff.line_id is None:
        raise KeyManagementError(f"{staff.username} belongs to no line.")
    if staff.public_key is None:
        raise KeyManagementError(
            f"{staff.username} has no key pair yet: it is made in their browser when they "
            "first sign in and choose their password."
        )
    return staff


# A key is recoverable when it is wrapped under the recovery passphrase (made on the server)
# or sealed to the recovery key (made in a lawyer's browser).
RECOVERY_KINDS = (WrapKind.RECOVERY, WrapKind.RECOVERY_GRANT)
_RECOVERY_GRANTS = (
    select(LineKey, WrappedKey.blob)
    .join(WrappedKey, WrappedKey.line_key_id == LineKey.id)
    .where(WrappedKey.kind == WrapKind.RECOVERY_GRANT)
)


def open_with_recovery(
    session: Session, line: Line, typed_passphrase: str, *, data_key: bytes | None = None
) -> OpenedKeys:
    """Open every key of the line that the passphrase opens; the active key must be one.

    With the data key, the line's recovery public key is recorded (vouched for) if it was
    not: the passphrase has just proved it belongs to the line."""
    try:
        passphrase = crypto.normalise_recovery_passphrase(typed_passphrase)
    except crypto.InvalidRecoveryPassphrase as exc:
        raise KeyManagementError(str(exc)) from None
    active = active_line_key(session, line.id)
    if active is None:
        raise KeyManagementError("The line has no key yet: run `flask --app advisory init`.")
    query = (
        select(LineKey, WrappedKey.blob)
        .join(WrappedKey, WrappedKey.line_key_id == LineKey.id)
        .where(LineKey.line_id == line.id, WrappedKey.kind == WrapKind.RECOVERY)
        .order_by(LineKey.id.desc())
    )
    opened: list[tuple[LineKey, X25519PrivateKey]] = []
    unopened: list[str] = []
    for line_key, blob in session.execute(query):
        try:
            opened.append((line_key, crypto.unwrap_private_key(blob, passphrase)))
        except (crypto.WrongPassphrase, crypto.KeyFormatError):
            # Older keys may sit under an earlier passphrase (`init --force` makes a new one).
            unopened.append(line_key.key_id)
    # Keys a lawyer's browser made are sealed to the recovery public key instead.
    recovery_key = crypto.recovery_private_key(passphrase)
    for line_key, grant in session.execute(_RECOVERY_GRANTS.where(LineKey.line_id == line.id)):
        try:
            opened.append(
                (line_key, crypto.open_recovery_grant(grant, line_key.key_id, recovery_key))
            )
        except crypto.CryptoError:
            unopened.append(line_key.key_id)
    opened.sort(key=lambda pair: pair[0].id, reverse=True)
    if all(line_key.id != active.id for line_key, _ in opened):
        raise KeyManagementError(
            f"The recovery passphrase does not open the current line key {active.key_id}."
        )
    if data_key is not None and not recovery_key_vouched(line, data_key=data_key):
        # A line made before recovery keys: from now on browsers can seal to it too.
        record_recovery_key(line, passphrase, data_key=data_key)
    return OpenedKeys(opened, unopened, passphrase)


def grant_line_keys(
    session: Session,
    *,
    staff: Staff,
    recovery_passphrase: str,
    data_key: bytes,
    now: datetime,
    line: Line | None = None,
) -> Grant:
    """Seal every key of `line` (default: the lawyer's own line) that the recovery passphrase
    opens (retired ones too) to the lawyer's own public key; an earlier grant or wrap of the
    same key for them is replaced."""
    if staff.public_key is None:
        raise KeyManagementError(f"{staff.username} has no key pair yet.")
    lines = lawyer_line_ids(session, staff)
    if line is None:
        line = session.get(Line, staff.line_id) if staff.line_id is not None else None
    if line is None:
        raise KeyManagementError(f"{staff.username} belongs to no line.")
    if line.id not in lines:
        raise KeyManagementError(f"{staff.username} does not work on line {line.slug}.")
    opened = open_with_recovery(session, line, recovery_passphrase, data_key=data_key)
    try:
        granted = seal_grants(session, staff, reversed(opened.keys), data_key=data_key, now=now)
    except StaffKeyError:
        raise KeyManagementError(
            f"The public key stored for {staff.username} was not stored by this server: it may "
            "have been put in the database by someone else. Reset the account."
        ) from None
    fingerprint = crypto.fingerprint(crypto.public_key_from_text(staff.public_key))
    return Grant(staff, granted, opened.unopened, fingerprint)


def revoke_line_keys(
    session: Session, *, staff: Staff, now: datetime, line_ids: Collection[int] | None = None
) -> list[str]:
    """Delete every wrap of a line key held by `staff` (of the lines `line_ids` only, when
    given); returns the key ids they held."""
    of_lines = [] if line_ids is None else [LineKey.line_id.in_(sorted(line_ids))]
    held_keys = list(
        session.scalars(
            select(LineKey)
            .join(WrappedKey, WrappedKey.line_key_id == LineKey.id)
            .where(WrappedKey.staff_id == staff.id, *of_lines)
            .order_by(LineKey.id)
        )
    )
    if not held_keys:
        return []
    _advise_rotation_if_active_held(session, held_keys, now=now)
    session.execute(
        delete(WrappedKey).where(
            WrappedKey.staff_id == staff.id,
            WrappedKey.line_key_id.in_([key.id for key in held_keys]),
        )
    )
    session.flush()
    held = [key.key_id for key in held_keys]
    audit.record(
        session,
        action="line_key.revoked",
        now=now,
        detail={"staff": staff.username, "key_ids": ",".join(held)},
    )
    return held


def _advise_rotation_if_active_held(
    session: Session, held: list[LineKey], *, now: datetime
) -> None:
    """Someone who held a line's active key loses it: the line's lawyers are offered a new
    key that person never held."""
    held_ids = {line_key.id for line_key in held}
    for line_id in sorted({line_key.line_id for line_key in held}):  # once per line, not key
        active = active_line_key(session, line_id)
        if active is not None and active.id in held_ids:
            active.line.rotation_advised_at = active.line.rotation_advised_at or now


def revoke_by_username(session: Session, *, username: str, now: datetime) -> list[str]:
    return revoke_line_keys(session, staff=_staff_named(session, username), now=now)


def rotate_line_key(
    session: Session,
    *,
    line: Line,
    recovery_passphrase: str,
    now: datetime,
    new_recovery_passphrase: bool = False,
    iterations: int | None = None,
    data_key: bytes | None = None,
) -> Rotation:
    """Retire the active key and start a new one, wrapped for recovery.

    The new key goes under the same recovery passphrase, or, when asked, under a fresh one that
    also re-wraps every older key the old passphrase opens. Lawyers keep their wraps of the old
    key (old cases stay readable) but need `keys grant` for the new one.
    """
    opened = open_with_recovery(session, line, recovery_passphrase, data_key=data_key)
    retired = _retire_active_key(session, line, now)
    fresh = crypto.generate_recovery_passphrase() if new_recovery_passphrase else None
    passphrase = opened.passphrase if fresh is None else fresh
    line_key, _ = add_line_key(session, line, passphrase, iterations=iterations, now=now)
    rewrapped: list[str] = []
    if fresh is not None:
        record_recovery_key(line, fresh, data_key=data_key)
        rewrapped = _rewrap_for_recovery(session, opened, fresh, iterations=iterations, now=now)
    session.flush()
    holders = _lawyers_holding(session, retired)
    line.rotation_advised_at = None  # the key nobody who left ever held
    audit.record(
        session,
        action="line_key.rotated",
        now=now,
        detail={
            "key_id": line_key.key_id,
            "replaces": retired.key_id,
            "new_recovery_passphrase": fresh is not None,
        },
    )
    return Rotation(
        line_key=line_key,
        retired=retired,
        new_recovery_passphrase=fresh,
        rewrapped=rewrapped,
        not_rewrapped=opened.unopened if fresh is not None else [],
        lawyers_to_grant=holders,
    )


def _retire_active_key(session: Session, line: Line, now: datetime) -> LineKey:
    """The line's active key, retired as of `now`: the key its replacement takes over from."""
    retired = active_line_key(session, line.id)
    if retired is None:  # open_with_recovery has refused this already; for the type checker
        raise KeyManagementError("The line has no key yet: run `flask --app advisory init`.")
    retired.retired_at = now
    return retired


def _rewrap_for_recovery(
    session: Session, opened: OpenedKeys, fresh: str, *, iterations: int | None, now: datetime
) -> list[str]:
    """Put every opened key under the fresh recovery passphrase instead of its old recovery
    wraps; returns their key ids."""
    rewrapped: list[str] = []
    for old_key, old_private in opened.keys:
        session.execute(
            delete(WrappedKey).where(
                WrappedKey.line_key_id == old_key.id,
                WrappedKey.kind.in_(RECOVERY_KINDS),
            )
        )
        session.add(recovery_wrap(old_key, old_private, fresh, iterations=iterations, now=now))
        rewrapped.append(old_key.key_id)
    return rewrapped


def _lawyers_holding(session: Session, line_key: LineKey) -> list[str]:
    """Usernames of the active lawyers who hold `line_key` wrapped for themselves."""
    return list(
        session.scalars(
            select(Staff.username)
            .join(WrappedKey, WrappedKey.staff_id == Staff.id)
            .where(
                WrappedKey.line_key_id == line_key.id,
                Staff.active.is_(True),
                Staff.role == Role.LAWYER,
            )
            .order_by(Staff.username)
        )
    )


def key_holdings(session: Session) -> list[KeyHolding]:
    """Every line key, oldest first, with whether it has a recovery wrap and who holds it."""
    holdings = []
    for line_key in session.scalars(select(LineKey).order_by(LineKey.id)):
        wraps = session.execute(
            select(WrappedKey.kind, Staff)
            .outerjoin(Staff, Staff.id == WrappedKey.staff_id)
            .where(WrappedKey.line_key_id == line_key.id)
            .order_by(Staff.username)
        )
        kinds_and_staff = [(kind, staff) for kind, staff in wraps]
        holdings.append(
            KeyHolding(
                line_key=line_key,
                has_recovery=any(kind in RECOVERY_KINDS for kind, _ in kinds_and_staff),
                holders=[staff for _, staff in kinds_and_staff if staff is not None],
            )
        )
    return holdings


def _staff_named(session: Session, username: str) -> Staff:
    name = username.strip().lower()
    staff = session.scalars(select(Staff).where(Staff.username == name)).first()
    if staff is None:
        raise KeyManagementError(f"There is no staff member called {name!r}.")
    return staff
