"""The line key as staff hold it: wrapped under a password (before key pairs), or granted."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from advisory.models import LineKey, WrapKind, WrappedKey
from tests.conftest import DEFAULT_NOW


def wrapped_under_password(
    line_key: LineKey, private_key: X25519PrivateKey, staff_id: int, password: str
) -> WrappedKey:
    """The line key wrapped under the lawyer's password itself, as stored before key pairs."""
    blob = crypto.wrap_private_key(
        private_key, password, iterations=1000, allow_weak_for_tests=True
    )
    return WrappedKey(
        line_key_id=line_key.id,
        kind=WrapKind.STAFF,
        staff_id=staff_id,
        blob=blob,
        created_at=DEFAULT_NOW,
    )


def opened_grant(
    session: Session, line_key: LineKey, staff_id: int, own_key: X25519PrivateKey
) -> X25519PrivateKey:
    """What the grant of `line_key` to `staff_id` holds, opened with their own key."""
    grant = session.scalars(
        select(WrappedKey.blob).where(
            WrappedKey.line_key_id == line_key.id, WrappedKey.staff_id == staff_id
        )
    ).one()
    return crypto.open_grant(grant, line_key.key_id, staff_id, own_key)
