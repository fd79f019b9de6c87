"""A staff member changes their password, in their browser; the server sees neither password.

The browser derives the authentication keys of the current and the new password and sends
both; the server checks the current one and keeps argon2id of the new one. A lawyer's
private key comes along: the browser unwraps it with the current password's wrapping key
and wraps it under the new one, one small blob. Wraps of the line key under the password
from before key pairs, if any are left, arrive converted into grants.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from advisory import audit, passwords
from advisory.models import Staff, WrapKind
from advisory.services.staff_keys import (
    StaffKeyError,
    legacy_wraps_of,
    rewrap_private_key,
    store_grants,
)


class PasswordChangeError(ValueError):
    """The change was refused; `reason` names why for the page. Nothing was changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
