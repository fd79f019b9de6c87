"""A staff member changes their password; a lawyer's line keys come along, wrapped anew.

The server never sees a line key: the lawyer's browser unwraps each key with the old password
and wraps it under the new one, and sends only the new blobs. Without them (no JavaScript) a
lawyer who holds keys cannot change the password here, because the keys would be lost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from advisory import audit, passwords
from advisory.models import Staff
from advisory.services.staff_keys import RewrapError, holds_keys, replace_wraps


class PasswordChangeError(ValueError):
    """The change was refused; `reason` names why for the page. Nothing was changed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_rewrapped(text: str | None) -> dict[str, str] | None:
    """The browser's new wraps (a JSON object of key id → blob), or None when there are none."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        return None
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(blob, str) for key, blob in value.items()
    ):
        return None
    return value


def carry_keys_over(
    session: Session,
    staff: Staff,
    *,
    current_password: str,
    rewrapped: Mapping[str, str] | None,
    now: datetime,
) -> None:
    """Replace `staff`'s wraps with ones under their next password, after checking the current."""
    if not holds_keys(session, staff):
        return
    if not passwords.verify_password(staff.password_hash, current_password):
        raise PasswordChangeError("wrong_current")
    _replace_wraps(session, staff, rewrapped, now)


def _replace_wraps(
    session: Session, staff: Staff, rewrapped: Mapping[str, str] | None, now: datetime
) -> None:
    if rewrapped is None:
        raise PasswordChangeError("needs_browser")
    try:
        replace_wraps(session, staff, rewrapped, now=now)
    except RewrapError:
        raise PasswordChangeError("bad_wraps") from None


def change_password(
    session: Session,
    staff: Staff,
    *,
    current_password: str,
    new_password: str,
    rewrapped: Mapping[str, str] | None,
    now: datetime,
) -> None:
    """Check, carry the keys over, set the new password and end every other session."""
    if not passwords.verify_password(staff.password_hash, current_password):
        raise PasswordChangeError("wrong_current")
    if len(new_password) < passwords.MIN_PASSWORD_LENGTH:
        raise PasswordChangeError("too_short")
    if new_password == current_password:
        raise PasswordChangeError("same_as_before")
    if holds_keys(session, staff):  # the current password is checked once, above (argon2)
        _replace_wraps(session, staff, rewrapped, now)
    staff.password_hash = passwords.hash_password(new_password)
    staff.session_epoch += 1  # sessions elsewhere end; the caller starts a fresh one here
    session.flush()
    audit.record(session, action="staff.password_changed", now=now, actor_staff_id=staff.id)
