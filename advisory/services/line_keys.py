"""The line and its key pair: created at `init` and wrapped for recovery."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from advisory import audit
from advisory.models import Line, LineKey, WrapKind, WrappedKey
from advisory.services.line_settings import default_line, store_settings
from advisory.services.vouched_keys import KeyRole, vouch, vouched

DEFAULT_LINE_SLUG = "main"
DEFAULT_LINE_NAME = "Advisory Line"


class AlreadyInitialised(Exception):
    """The line already has a key; `init --force` starts a new one."""


@dataclass(frozen=True)
class NewLineKey:
    line: Line
    line_key: LineKey
    private_key: X25519PrivateKey  # lives only in memory, for the caller to wrap further
    recovery_passphrase: str

    def __repr__(self) -> str:
        return f"NewLineKey({self.line_key.key_id}, <secrets hidden>)"


def active_line_key(session: Session, line_id: int) -> LineKey | None:
    """The newest unretired key of the line: what new text for it is sealed to."""
    query = select(LineKey).where(LineKey.line_id == line_id, LineKey.retired_at.is_(None))
    return session.scalars(query.order_by(LineKey.id.desc()).limit(1)).first()


def is_initialised(session: Session) -> bool:
    line = default_line(session)
    return line is not None and active_line_key(session, line.id) is not None


def initialise_line(
    session: Session,
    *,
    now: datetime,
    force: bool = False,
    iterations: int | None = None,
    data_key: bytes | None = None,
    line_settings: Mapping[str, str] | None = None,
) -> NewLineKey:
    """Create the line (if needed) and a fresh line key wrapped under a new recovery passphrase.

    With `force`, an existing key is retired, not deleted: cases sealed to it stay readable
    to whoever holds it wrapped. A line made now takes `line_settings` (texts of
    `line_config.FIELDS`), else the model's defaults.
    """
    line = _line_for_init(session, now, line_settings or {})
    return start_line_key(
        session, line, now=now, force=force, iterations=iterations, data_key=data_key
    )


def start_line_key(
    session: Session,
    line: Line,
    *,
    now: datetime,
    force: bool = False,
    iterations: int | None = None,
    data_key: bytes | None = None,
) -> NewLineKey:
    """A fresh key for `line`, wrapped under a new recovery passphrase (a new line's first
    key, or with `force` a replacement that retires the current one)."""
    current = active_line_key(session, line.id)
    if current is not None:
        if not force:
            raise AlreadyInitialised(f"line key {current.key_id} exists already")
        current.retired_at = now
    recovery = crypto.generate_recovery_passphrase()
    record_recovery_key(line, recovery, data_key=data_key)
    line_key, private_key = add_line_key(
        session,
        line,
        crypto.normalise_recovery_passphrase(recovery),
        iterations=iterations,
        now=now,
    )
    session.flush()
    audit.record(
        session,
        action="line_key.created",
        now=now,
        detail={
            "line": line.slug,
            "key_id": line_key.key_id,
            "replaces": current.key_id if current else None,
        },
    )
    return NewLineKey(line, line_key, private_key, recovery)


def _line_for_init(session: Session, now: datetime, settings: Mapping[str, str]) -> Line:
    """The first line, made at the first `init`."""
    line = default_line(session)
    if line is None:
        line = Line(slug=DEFAULT_LINE_SLUG, name=DEFAULT_LINE_NAME, created_at=now)
        store_settings(line, settings)
        session.add(line)
        session.flush()
    return line


def add_line_key(
    session: Session, line: Line, passphrase: str, *, iterations: int | None, now: datetime
) -> tuple[LineKey, X25519PrivateKey]:
    """A new key pair for the line, its private half wrapped under the recovery passphrase
    (as given: the caller normalises it). The private key is returned for the caller only."""
    private_key = crypto.generate_keypair()
    public_key = private_key.public_key()
    line_key = LineKey(
        line=line,
        key_id=crypto.key_id_for(public_key),
        public_key=crypto.public_key_to_text(public_key),
        created_at=now,
    )
    session.add(line_key)
    session.add(recovery_wrap(line_key, private_key, passphrase, iterations=iterations, now=now))
    return line_key, private_key


def recovery_wrap(
    line_key: LineKey,
    private_key: X25519PrivateKey,
    passphrase: str,
    *,
    iterations: int | None,
    now: datetime,
) -> WrappedKey:
    """The line key's private half under the recovery passphrase, for whoever has it."""
    return WrappedKey(
        line_key=line_key,
        kind=WrapKind.RECOVERY,
        blob=wrap_for_recovery(private_key, passphrase, iterations),
        created_at=now,
    )


def record_recovery_key(line: Line, passphrase: str, *, data_key: bytes | None) -> None:
    """Keep the public half of the key `passphrase` gives, vouched for when the data key is
    at hand: browsers seal new line keys to it (services/line_key_rotation)."""
    public = crypto.public_key_to_text(crypto.recovery_private_key(passphrase).public_key())
    line.recovery_public_key = public
    line.recovery_key_mac = (
        None if data_key is None else vouch(data_key, KeyRole.LINE_RECOVERY_KEY, line.id, public)
    )


def recovery_key_vouched(line: Line, *, data_key: bytes) -> bool:
    key, mac = line.recovery_public_key, line.recovery_key_mac
    return vouched(data_key, KeyRole.LINE_RECOVERY_KEY, line.id, key, mac)


def wrap_for_recovery(
    private_key: X25519PrivateKey, passphrase: str, iterations: int | None
) -> str:
    """A line key wrapped under the recovery passphrase (PBKDF2 at the production count
    unless a test asks for fewer)."""
    if iterations is None:
        return crypto.wrap_private_key(private_key, passphrase)
    # Only tests pass a lower count, to keep the suite fast.
    return crypto.wrap_private_key(
        private_key, passphrase, iterations=iterations, allow_weak_for_tests=True
    )
