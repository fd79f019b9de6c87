"""Server-side end of one staff session, so that a copied cookie dies with a plain sign-out.

A staff session lives in a signed cookie that carries a random session id (new at every
sign-in). Signing out in one browser records a SHA-256 of that id until the session's
absolute lifetime is over; after that the cookie is refused by its own limits and the record
is deleted. Each staff request reads the account and this record in one query and writes
nothing, so page views leave no trace. Other browsers of the same person keep their sessions;
ending all of them is the account's session epoch ("sign out everywhere").
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, exists, select
from sqlalchemy.orm import Session

from advisory.models import RevokedStaffSession, Staff
from advisory.upserts import OnConflict

_REVOKE = OnConflict(
    lambda insert: insert(cast(Table, RevokedStaffSession.__table__)).on_conflict_do_nothing(
        index_elements=["sid_digest"]
    )
)


def sid_digest(sid: str) -> bytes:
    return hashlib.sha256(sid.encode("utf-8")).digest()


def session_holder(session: Session, *, staff_id: int, sid: str) -> Staff | None:
    """The account of a staff session, or None when there is none or the session was revoked.

    Whether the account is active and the epoch matches is the caller's to check.
    """
    revoked = exists().where(RevokedStaffSession.sid_digest == sid_digest(sid))
    row = session.execute(select(Staff, revoked).where(Staff.id == staff_id)).first()
    if row is None or row[1]:
        return None
    staff: Staff = row[0]
    return staff


def revoke_session(session: Session, *, sid: str, expires_at: datetime, now: datetime) -> None:
    """Refuse the session `sid` from now until `expires_at` (flush only).

    Revoking twice is harmless. Records whose session has expired anyway are deleted here, so
    the table holds at most the sign-outs of the last absolute lifetime.
    """
    session.execute(
        delete(RevokedStaffSession)
        .where(RevokedStaffSession.expires_at < now)
        .execution_options(synchronize_session=False)
    )
    _REVOKE.execute(session, {"sid_digest": sid_digest(sid), "expires_at": expires_at})
    session.flush()
