"""A lawyer's wrapped line keys: handed to their browser, replaced when their password changes.

The server stores and hands out blobs it cannot open. When a lawyer changes their password,
their browser unwraps with the old one and wraps again under the new one; the server checks
only that the new blobs are well formed and cover exactly the keys the lawyer held.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from advisory import audit
from advisory.models import LineKey, Staff, WrapKind, WrappedKey


class RewrapError(ValueError):
    """The re-wrapped keys do not match what the lawyer holds; nothing was changed."""


def wrapped_keys_of(session: Session, staff: Staff) -> list[tuple[str, str]]:
    """(key id, blob) of every line key wrapped for `staff`, newest key first."""
    query = (
        select(LineKey.key_id, WrappedKey.blob)
        .join(WrappedKey, WrappedKey.line_key_id == LineKey.id)
        .where(WrappedKey.staff_id == staff.id, WrappedKey.kind == WrapKind.STAFF)
        .order_by(LineKey.id.desc())
    )
    return [(key_id, blob) for key_id, blob in session.execute(query)]


def rewrap_context(session: Session, staff: Staff) -> dict[str, object]:
    """What a page that changes the password gives password-change.js to re-wrap `staff`'s
    keys: the blobs, and the iteration count to wrap them under."""
    return {
        "wrapped_keys": [
            {"keyId": key_id, "blob": blob} for key_id, blob in wrapped_keys_of(session, staff)
        ],
        "iterations": crypto.PBKDF2_ITERATIONS,
    }


def replace_wraps(
    session: Session,
    staff: Staff,
    blobs: Mapping[str, str],
    *,
    now: datetime,
    min_iterations: int = crypto.MIN_ITERATIONS_ALLOWED,
) -> None:
    """Swap `staff`'s wraps for `blobs` (key id → blob wrapped under their new password)."""
    wraps = {
        key_id: wrap
        for key_id, wrap in session.execute(
            select(LineKey.key_id, WrappedKey)
            .join(WrappedKey, WrappedKey.line_key_id == LineKey.id)
            .where(WrappedKey.staff_id == staff.id, WrappedKey.kind == WrapKind.STAFF)
        )
    }
    if set(blobs) != set(wraps):
        raise RewrapError("the new wraps must cover exactly the keys held")
    for key_id, blob in blobs.items():
        try:
            iterations = crypto.wrapped_key_iterations(blob)
        except crypto.KeyFormatError:
            raise RewrapError(f"the new wrap of key {key_id} is not a well-formed blob") from None
        if iterations < min_iterations:
            raise RewrapError(f"the new wrap of key {key_id} is too cheap to guess")
    for key_id, wrap in wraps.items():
        wrap.blob = blobs[key_id]
        wrap.created_at = now
    session.flush()
    if wraps:
        audit.record(
            session,
            action="line_key.rewrapped",
            now=now,
            actor_staff_id=staff.id,
            detail={"key_ids": ",".join(sorted(wraps))},
        )


def holds_keys(session: Session, staff: Staff) -> bool:
    return bool(wrapped_keys_of(session, staff))
