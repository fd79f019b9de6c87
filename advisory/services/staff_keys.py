"""Lawyers' own key pairs and the line keys granted to them: stored here, opened only in browsers.

A lawyer's browser makes an X25519 pair at enrolment and sends the public half and the
private half wrapped under a key only the lawyer's password gives. The line private key
reaches a lawyer as a grant: sealed with HPKE to their public key, by a colleague's browser
(after both compared the key's fingerprint), by `keys grant` with the recovery passphrase,
or by the lawyer's own browser when it turns a wrap from before key pairs (under the
password) into a grant. The server checks that what arrives is well formed and addressed to
the right key and line; it cannot open any of it.

Functions flush only; the caller commits. A refusal raises StaffKeyError before anything is
changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import crypto
from advisory import audit
from advisory.models import LineKey, Role, Staff, StaffLine, WrapKind, WrappedKey
from advisory.services.line_membership import lawyer_line_ids, on_lines, works_on_lines
from advisory.services.refusal import Refusal
from advisory.services.vouched_keys import KeyRole, vouch, vouched

# A lawyer holds the line's keys, current and retired: a grant per key, a few dozen at most.
MAX_GRANTS = 64
MAX_GRANTS_CHARS = MAX_GRANTS * (crypto.grants.GRANT_CHARS + 24)


class StaffKeyError(Refusal):
    """What a browser sent cannot be stored; `reason` names why, for the page."""


@dataclass(frozen=True)
class KeyPair:
    """A lawyer's public key and their private key as wrapped in their browser."""

    public_key: str
    wrapped_private_key: str = field(repr=False)

    @property
    def key_id(self) -> str:
        return crypto.key_id_for(crypto.public_key_from_text(self.public_key))


def parse_key_pair(public_key: str | None, wrapped_private_key: str | None) -> KeyPair | None:
    """The pair a browser sent, checked; None when it sent none."""
    if not public_key and not wrapped_private_key:
        return None
    try:
        crypto.public_key_from_text(public_key or "")
        crypto.check_wrapped_staff_key(wrapped_private_key or "")
    except crypto.KeyFormatError:
        raise StaffKeyError("bad_key") from None
    return KeyPair(public_key or "", wrapped_private_key or "")


LINE_KEY_ID = re.compile(r"[0-9a-f]{16}")
STAFF_ID = re.compile(r"[1-9][0-9]{0,9}")  # within the database's INTEGER keys


def parse_grants(text: str | None, keys: re.Pattern[str] = LINE_KEY_ID) -> dict[str, str]:
    """Grants a browser sent: a JSON object of id → grant text, each well formed. The ids
    are line key ids, or (for a rotation) staff ids: anything else is refused here, before
    it reaches a query."""
    if not text:
        return {}
    if len(text) > MAX_GRANTS_CHARS:
        raise StaffKeyError("bad_grants")
    try:
        value: Any = json.loads(text)
    except (ValueError, RecursionError):
        raise StaffKeyError("bad_grants") from None
    if not isinstance(value, dict) or len(value) > MAX_GRANTS:
        raise StaffKeyError("bad_grants")
    for key_id, grant in value.items():
        if not isinstance(key_id, str) or not keys.fullmatch(key_id):
            raise StaffKeyError("bad_grants")
        if not isinstance(grant, str):
            raise StaffKeyError("bad_grants")
        try:
            crypto.parse_grant(grant)
        except crypto.KeyFormatError:
            raise StaffKeyError("bad_grants") from None
    return value


def is_key_holder(staff: Staff) -> bool:
    """Whether `staff` may hold line keys at all: active lawyers of a line."""
    return staff.role is Role.LAWYER and staff.active and staff.line_id is not None


def key_material(session: Session, staff: Staff) -> dict[str, object]:
    """What a lawyer's browser needs to unlock their line keys after signing in.

    Their own pair (the private half wrapped), a grant per line key they hold, and any
    wrap under their password from before key pairs, for the browser to turn into a grant.
    """
    return {
        "staffId": staff.id,
        "publicKey": staff.public_key,
        "wrappedPrivateKey": staff.wrapped_private_key,
        "grants": [
            {"keyId": key_id, "grant": blob}
            for key_id, blob in _rows(session, staff, WrapKind.GRANT)
        ],
        "legacy": legacy_wraps_of(session, staff),
    }


def legacy_wraps_of(session: Session, staff: Staff) -> list[dict[str, str]]:
    """Wraps under `staff`'s password from before key pairs: for their browser to convert."""
    return [
        {"keyId": key_id, "blob": blob} for key_id, blob in _rows(session, staff, WrapKind.STAFF)
    ]


def _rows(session: Session, staff: Staff, kind: WrapKind) -> list[tuple[str, str]]:
    """(line key id, blob) of `staff`'s rows of one kind, newest line key first."""
    query = (
        select(LineKey.key_id, WrappedKey.blob)
        .join(WrappedKey, WrappedKey.line_key_id == LineKey.id)
        .where(WrappedKey.staff_id == staff.id, WrappedKey.kind == kind)
        .order_by(LineKey.id.desc())
    )
    return [(key_id, blob) for key_id, blob in session.execute(query)]


def replace_key_pair(
    session: Session, staff: Staff, pair: KeyPair, *, data_key: bytes, now: datetime
) -> None:
    """Give `staff` this key pair, vouched for by the instance. Grants sealed to a pair they
    had before can no longer be opened by anyone, so they go; wraps from before key pairs
    stay, to be converted."""
    staff.public_key_mac = vouch(data_key, KeyRole.STAFF_PUBLIC_KEY, staff.id, pair.public_key)
    if staff.public_key == pair.public_key:
        staff.wrapped_private_key = pair.wrapped_private_key
        session.flush()
        return
    session.execute(
        delete(WrappedKey).where(WrappedKey.staff_id == staff.id, WrappedKey.kind == WrapKind.GRANT)
    )
    staff.public_key = pair.public_key
    staff.wrapped_private_key = pair.wrapped_private_key
    # The signing key came from the old pair: the browser sends the new one.
    staff.signing_public_key = None
    staff.signing_key_mac = None
    created: audit.Detail = {"key_id": pair.key_id}
    audit.record(
        session, action="staff.key_pair_created", now=now, actor_staff_id=staff.id, detail=created
    )


def rewrap_private_key(session: Session, staff: Staff, wrapped_private_key: str | None) -> None:
    """A password change: the same private key, wrapped under the new password's key."""
    if staff.public_key is None:
        return
    if not wrapped_private_key:
        raise StaffKeyError("needs_browser")
    try:
        crypto.check_wrapped_staff_key(wrapped_private_key)
    except crypto.KeyFormatError:
        raise StaffKeyError("bad_key") from None
    staff.wrapped_private_key = wrapped_private_key
    session.flush()


def store_grants(
    session: Session,
    staff: Staff,
    grants: Mapping[str, str],
    *,
    kinds: Iterable[WrapKind],
    now: datetime,
    granted_by: Staff | None = None,
    new_rows: bool = True,
) -> list[str]:
    """Store grants to `staff`'s public key, one per line key id; returns the key ids.

    Each must be sealed to their current public key and name a key of their line. Where
    `staff` already has a row for that key, it is replaced only if its kind is in `kinds`
    (their own conversion replaces wraps under the password; `keys grant` renews a grant).
    With `granted_by`, the granter must hold a grant of every key they pass on.
    Without `new_rows`, only existing rows are replaced (a lawyer converting their own wraps).
    """
    if not grants:
        return []
    if staff.public_key is None or not is_key_holder(staff):
        raise StaffKeyError("not_enrolled")
    line_keys = {
        key.key_id: key
        for key in session.scalars(
            select(LineKey).where(
                on_lines(LineKey.line_id, lawyer_line_ids(session, staff)),
                LineKey.key_id.in_(grants),
            )
        )
    }
    existing = {
        wrap.line_key_id: wrap
        for wrap in session.scalars(select(WrappedKey).where(WrappedKey.staff_id == staff.id))
    }
    held = _granted_key_ids(session, granted_by) if granted_by is not None else None
    for key_id, grant in grants.items():
        line_key = line_keys.get(key_id)
        wrap = existing.get(line_key.id) if line_key is not None else None
        _check_grant(staff, grant, line_key, wrap, set(kinds), new_rows)
        if held is not None and key_id not in held:
            raise StaffKeyError("not_held")
    _write_grants(session, staff, grants, line_keys, existing, now)
    key_ids = sorted(grants)
    actor = granted_by if granted_by is not None else staff
    granted: audit.Detail = {"key_ids": ",".join(key_ids), "staff": staff.username}
    audit.record(
        session, action="line_key.granted", now=now, actor_staff_id=actor.id, detail=granted
    )
    return key_ids


def _write_grants(
    session: Session,
    staff: Staff,
    grants: Mapping[str, str],
    line_keys: Mapping[str, LineKey],
    existing: Mapping[int, WrappedKey],
    now: datetime,
) -> None:
    """Checked grants into `staff`'s rows: their row for a key replaced, or a new one."""
    for key_id, grant in grants.items():
        line_key = line_keys[key_id]
        wrap = existing.get(line_key.id)
        if wrap is None:
            wrap = WrappedKey(line_key_id=line_key.id, staff_id=staff.id)
            session.add(wrap)
        wrap.kind, wrap.blob, wrap.created_at = WrapKind.GRANT, grant, now


def _check_grant(
    staff: Staff,
    grant: str,
    line_key: LineKey | None,
    wrap: WrappedKey | None,
    replaceable: set[WrapKind],
    new_rows: bool,
) -> None:
    """A grant must name a key of the lawyer's line, be sealed to their key, and either add
    a row (when new rows may be) or replace one of a kind that may be replaced."""
    own_key_id = crypto.key_id_for(crypto.public_key_from_text(staff.public_key or ""))
    if line_key is None or crypto.parse_grant(grant).key_id != own_key_id:
        raise StaffKeyError("bad_grants")
    if wrap is None and not new_rows or wrap is not None and wrap.kind not in replaceable:
        raise StaffKeyError("bad_grants")


def seal_grants(
    session: Session,
    staff: Staff,
    keys: Iterable[tuple[LineKey, X25519PrivateKey]],
    *,
    data_key: bytes,
    now: datetime,
) -> list[str]:
    """Grant line keys opened on the server (with the recovery passphrase, or the demo's,
    made in memory) to a lawyer's public key; an earlier row for the same key is replaced.
    Only a key the instance vouches for: one written into the database by anyone else is
    refused."""
    if staff.public_key is None:
        raise StaffKeyError("not_enrolled")
    if vouched_public_key(staff, data_key=data_key) is None:
        raise StaffKeyError("unvouched_key")
    public_key = crypto.public_key_from_text(staff.public_key)
    grants = {
        line_key.key_id: crypto.seal_grant(private_key, staff.id, public_key)
        for line_key, private_key in keys
    }
    return store_grants(session, staff, grants, kinds=(WrapKind.STAFF, WrapKind.GRANT), now=now)


def vouched_public_key(staff: Staff, *, data_key: bytes) -> str | None:
    """`staff`'s public key if the instance vouches for it (see vouched_keys), else None."""
    key, mac = staff.public_key, staff.public_key_mac
    return key if vouched(data_key, KeyRole.STAFF_PUBLIC_KEY, staff.id, key, mac) else None


def holds_line_keys(session: Session, staff: Staff) -> bool:
    return bool(_granted_key_ids(session, staff))


def _granted_key_ids(session: Session, staff: Staff) -> set[str]:
    return set(
        session.scalars(
            select(LineKey.key_id)
            .join(WrappedKey, WrappedKey.line_key_id == LineKey.id)
            .where(WrappedKey.staff_id == staff.id, WrappedKey.kind == WrapKind.GRANT)
        )
    )


@dataclass(frozen=True)
class Colleague:
    """A lawyer of a line the granting lawyer works on, as they see them."""

    staff: Staff
    # Line keys the viewer holds and this colleague does not: what a grant would give them.
    missing: list[str]

    @property
    def enrolled(self) -> bool:
        return self.staff.public_key is not None


def colleagues(session: Session, viewer: Staff) -> list[Colleague]:
    """Every other active lawyer of `viewer`'s lines, with the keys they lack of those
    `viewer` holds of the lines they share."""
    lines = lawyer_line_ids(session, viewer) if is_key_holder(viewer) else []
    if not lines:
        return []
    held: dict[int, set[str]] = {}
    line_of_key: dict[str, int] = {}
    grants = (
        select(WrappedKey.staff_id, LineKey.key_id, LineKey.line_id)
        .join(LineKey, LineKey.id == WrappedKey.line_key_id)
        .where(on_lines(LineKey.line_id, lines), WrappedKey.kind == WrapKind.GRANT)
    )
    for staff_id, key_id, line_id in session.execute(grants):  # one query for the lines
        line_of_key[key_id] = line_id
        if staff_id is not None:
            held.setdefault(staff_id, set()).add(key_id)
    mine = held.get(viewer.id, set())
    query = (
        select(Staff)
        .where(
            works_on_lines(lines),
            Staff.role == Role.LAWYER,
            Staff.active.is_(True),
            Staff.id != viewer.id,
        )
        .order_by(Staff.username)
    )
    # Their lines among the viewer's, in one query: their own line, or one given them.
    given: dict[int, set[int]] = {}
    rows = select(StaffLine.staff_id, StaffLine.line_id).where(StaffLine.line_id.in_(lines))
    for staff_id, line_id in session.execute(rows):
        given.setdefault(staff_id, set()).add(line_id)
    found = []
    for staff in session.scalars(query):
        shared = ({staff.line_id} | given.get(staff.id, set())) & set(lines)
        missing = {key for key in mine - held.get(staff.id, set()) if line_of_key[key] in shared}
        found.append(Colleague(staff, sorted(missing)))
    return found
