"""What the server keeps of a staff password, now that the password stays in the browser.

The browser derives an authentication key from the password (crypto.staff_credentials) and
sends only that; the server keeps argon2id of it. A password the server makes itself (a
one-time password for a new or reset account, the demo's) is turned into the same key here,
once, and forgotten.

Accounts from before the split still hold argon2id of the password (scheme 'password'). At
their next sign-in the browser proves the password by recomputing that hash's tag from the
parameters below, and the account moves to the split. While any such account exists, the
sign-in page asks for parameters for every username; one that has no legacy hash gets
parameters derived from a secret, of the same shape, so the answer does not tell whether the
name exists or has been upgraded.

A password change happens in the browser too: it derives the authentication keys of the
current and the new password and sends both; the server checks the current one and keeps
argon2id of the new one. A lawyer's private key comes along, unwrapped with the current
password's wrapping key and wrapped under the new one; wraps of the line key under a password
from before key pairs, if any are left, arrive converted into grants.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from advisory import audit, passwords
from advisory.models import CredentialScheme, Staff, WrapKind
from advisory.services.refusal import Refusal
from advisory.services.staff_keys import (
    StaffKeyError,
    legacy_wraps_of,
    rewrap_private_key,
    store_grants,
)

DECOY_SALT_LABEL = b"advisory-line/v1/legacy-decoy-salt"
DECOY_SALT_BYTES = 16  # what argon2-cffi writes


@dataclass(frozen=True)
class LegacyChallenge:
    """What a browser needs to recompute a legacy hash's tag: salt and costs."""

    salt: bytes
    time_cost: int
    memory_kib: int
    parallelism: int
    hash_len: int


def credential_hash(password: str, *, username: str, data_key: bytes) -> str:
    """argon2id of the authentication key a browser derives from `password`: for a password
    the server made (one-time, demo); a chosen password never reaches the server."""
    credentials = crypto.derive_staff_credentials(password, crypto.instance_id(data_key), username)
    return passwords.hash_auth_key(credentials.auth_key)


def legacy_accounts_exist(session: Session) -> bool:
    query = select(Staff.id).where(Staff.credential_scheme == CredentialScheme.PASSWORD)
    return session.scalars(query.limit(1)).first() is not None


def legacy_challenge(session: Session, username: str, *, data_key: bytes) -> LegacyChallenge:
    """The parameters of `username`'s legacy hash, or decoys just like them."""
    try:
        name = crypto.normalise_username(username)
    except ValueError:  # no account has such a name (NUL, spaces, 65 characters …): a decoy
        name, staff = username, None
    else:
        staff = session.scalars(select(Staff).where(Staff.username == name)).first()
    if staff is not None and staff.credential_scheme is CredentialScheme.PASSWORD:
        found = passwords.legacy_parameters(staff.password_hash)
        if found is not None:
            return LegacyChallenge(
                found.salt, found.time_cost, found.memory_kib, found.parallelism, found.hash_len
            )
    key = crypto.derive_subkey(data_key, "legacy-decoy-salt")
    salt = hmac.new(
        key, DECOY_SALT_LABEL + b"\0" + name.encode(errors="replace"), hashlib.sha256
    ).digest()
    return LegacyChallenge(
        salt=salt[:DECOY_SALT_BYTES],
        time_cost=passwords.TIME_COST,
        memory_kib=passwords.MEMORY_COST_KIB,
        parallelism=passwords.PARALLELISM,
        hash_len=32,
    )


class PasswordChangeError(Refusal):
    """The change was refused; `reason` names why for the page. Nothing was changed."""


def change_password(
    session: Session,
    staff: Staff,
    *,
    current_auth_key: bytes,
    new_auth_key: bytes,
    wrapped_private_key: str | None,
    converted_grants: Mapping[str, str],
    now: datetime,
) -> None:
    """Check, carry the keys over, set the new key and end every other session."""
    if not passwords.verify_auth_key(staff.password_hash, current_auth_key):
        raise PasswordChangeError("wrong_current")
    if hmac.compare_digest(new_auth_key, current_auth_key):
        raise PasswordChangeError("same_as_before")
    if not covers_legacy_wraps(session, staff, converted_grants):
        raise PasswordChangeError("needs_browser")
    try:
        rewrap_private_key(session, staff, wrapped_private_key)
        store_grants(
            session, staff, converted_grants, kinds=(WrapKind.STAFF,), new_rows=False, now=now
        )
    except StaffKeyError as exc:
        raise PasswordChangeError(exc.reason) from None
    staff.password_hash = passwords.hash_auth_key(new_auth_key)
    staff.session_epoch += 1  # sessions elsewhere end; the caller starts a fresh one here
    session.flush()
    audit.record(session, action="staff.password_changed", now=now, actor_staff_id=staff.id)


def covers_legacy_wraps(session: Session, staff: Staff, grants: Mapping[str, str]) -> bool:
    """Whether `grants` convert every wrap under the old password: after the change no
    password would open one that is left."""
    return {wrap["keyId"] for wrap in legacy_wraps_of(session, staff)} <= set(grants)
