"""Staff sessions: a signed cookie of their own, never the anonymous surface's session.

The cookie holds who is signed in (staff id), the account's session epoch when it was
issued (bumping `Staff.session_epoch` ends every session at once), a random session id that
is new at each sign-in (a plain sign-out revokes that id on the server, see
`advisory.services.staff_sessions`), and two instants: when it was issued (absolute lifetime)
and when it was last used (idle timeout). Both limits are checked against the app's clock, not
the signature's own timestamp, so tests can move time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

import crypto

COOKIE_NAME = "advisory_staff"
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_LIFETIME = timedelta(hours=12)
_SALT = "advisory-staff-session/v1"


@dataclass(frozen=True)
class StaffSession:
    staff_id: int
    epoch: int
    sid: str
    issued_at: datetime
    last_seen: datetime
    # True between the password step of a first sign-in and the end of enrolment.
    enrolling: bool = False

    def __repr__(self) -> str:
        return f"<StaffSession staff={self.staff_id} enrolling={self.enrolling}>"

    def expired(self, now: datetime) -> bool:
        return (
            now - self.last_seen > IDLE_TIMEOUT
            or now - self.issued_at > ABSOLUTE_LIFETIME
            or self.last_seen > now + IDLE_TIMEOUT  # from the future: not ours to trust
        )

    @property
    def valid_until(self) -> datetime:
        """The end of the absolute lifetime: however it is used, no copy lives longer."""
        return self.issued_at + ABSOLUTE_LIFETIME

    def touched(self, now: datetime) -> StaffSession:
        return replace(self, last_seen=max(now, self.last_seen))


def start_session(staff_id: int, epoch: int, now: datetime, *, enrolling: bool) -> StaffSession:
    """A fresh session with a new random id: the id rotates at every sign-in."""
    return StaffSession(
        staff_id=staff_id,
        epoch=epoch,
        sid=secrets.token_urlsafe(24),
        issued_at=now,
        last_seen=now,
        enrolling=enrolling,
    )


def _serializer(secret_key: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(crypto.derive_subkey(secret_key, "staff-session"), salt=_SALT)


def encode(secret_key: bytes, staff_session: StaffSession) -> str:
    payload = {
        "staff_id": staff_session.staff_id,
        "epoch": staff_session.epoch,
        "sid": staff_session.sid,
        "issued_at": staff_session.issued_at.astimezone(UTC).timestamp(),
        "last_seen": staff_session.last_seen.astimezone(UTC).timestamp(),
        "enrolling": staff_session.enrolling,
    }
    return str(_serializer(secret_key).dumps(payload))


def decode(secret_key: bytes, value: str) -> StaffSession | None:
    """The session in a cookie value, or None when it is not one we signed."""
    try:
        payload: Any = _serializer(secret_key).loads(value)
        return StaffSession(
            staff_id=int(payload["staff_id"]),
            epoch=int(payload["epoch"]),
            sid=str(payload["sid"]),
            issued_at=datetime.fromtimestamp(float(payload["issued_at"]), UTC),
            last_seen=datetime.fromtimestamp(float(payload["last_seen"]), UTC),
            enrolling=bool(payload["enrolling"]),
        )
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def set_cookie(response: Response, value: str, *, secure: bool) -> None:
    # No max-age: the cookie ends with the browser as well as with the limits above.
    response.set_cookie(
        COOKIE_NAME, value, path="/", secure=secure, httponly=True, samesite="Strict"
    )


def clear_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", secure=secure, httponly=True, samesite="Strict")
