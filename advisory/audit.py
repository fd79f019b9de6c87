"""The tamper-evident audit log: an append-only chain of staff actions, keyed and numbered.

Each event carries a gapless number (`seq`) and an HMAC-SHA256 (`hash`) over its number, its
fields and the previous event's MAC, under a key derived from the instance's data key, which
lives outside the database. Someone who can write the database but lacks the key can neither
change an event nor recompute the links after it, and a removed event leaves a gap in the
numbers. Events never hold case content.

Appending happens in two steps so that no action waits on another while it works:
`record` inserts the event unlinked, and just before the transaction commits its events are
numbered and linked after the current head. Linking takes a lock held only from then until the
commit (on PostgreSQL a transaction advisory lock; SQLite writers are already serialised by
BEGIN IMMEDIATE). It is the last lock the transaction takes, and while holding it the
transaction waits for nothing else, so it cannot be part of a lock-order deadlock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

import crypto
from advisory.models import AuditEvent, Case, Staff

GENESIS_HASH = "0" * 64
# The subkey of the instance's data key that the chain is keyed with.
CHAIN_KEY_LABEL = "audit-chain"
# Bound into every MAC, so a value computed for anything else never fits a link.
MAC_DOMAIN = "advisory-line/audit/v2"
# pg_advisory_xact_lock id serialising appends ("audit" in ASCII).
APPEND_LOCK_ID = 0x6175646974
# Session.info entry: this session's events still to be linked at commit.
_UNLINKED = "advisory_audit_unlinked"

_chain_keys: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()


class ChainKeyMissing(RuntimeError):
    """No chain key is known for this database: the instance has no secrets yet."""


@dataclass(frozen=True)
class ChainBreak:
    where: str  # "event 5", or "row 17" for a row that carries no number
    reason: str


def chain_key(data_key: bytes) -> bytes:
    return crypto.derive_subkey(data_key, CHAIN_KEY_LABEL)


def use_chain_key(engine: Engine, data_key: bytes) -> None:
    """Link events written through `engine` under the chain key derived from `data_key`.

    The app registers its key once at start-up (and `flask init` right after it creates the
    secrets), so the services call `record` without handling keys.
    """
    _chain_keys[engine] = chain_key(data_key)


def chain_key_for(session: Session) -> bytes:
    try:
        return _chain_keys[session.connection().engine]
    except KeyError:
        raise ChainKeyMissing(
            "no audit chain key for this database: run `flask --app advisory init`"
        ) from None


# What an event says beyond its action: short values, never case content.
Detail = Mapping[str, str | int | bool | None]


def record(
    session: Session,
    *,
    action: str,
    now: datetime,
    actor_staff_id: int | None = None,
    case_reference: str | None = None,
    detail: Detail | None = None,
) -> AuditEvent:
    """Add one event (flush only; the caller commits). It is numbered and linked at commit."""
    event = AuditEvent(
        occurred_at=now.astimezone(UTC),
        actor_staff_id=actor_staff_id,
        action=action,
        case_reference=case_reference,
        detail=json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":")),
    )
    session.add(event)
    session.flush()
    session.info.setdefault(_UNLINKED, []).append(event)
    return event


def record_for_case(
    session: Session,
    case: Case,
    *,
    action: str,
    now: datetime,
    actor: Staff,
    detail: Detail | None = None,
) -> AuditEvent:
    """An event a staff member caused on a case: `record` with the case and the actor."""
    return record(
        session,
        action=action,
        now=now,
        actor_staff_id=actor.id,
        case_reference=case.reference,
        detail=detail,
    )


@sa_event.listens_for(Session, "before_commit")
def _link_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the events are linked when the whole transaction commits
    unlinked = [e for e in session.info.pop(_UNLINKED, []) if e in session]
    if not unlinked:
        return
    key = chain_key_for(session)
    session.flush()
    if session.connection().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": APPEND_LOCK_ID})
    newest = head(session)
    seq, prev_hash = (newest.seq, newest.digest) if newest is not None else (0, GENESIS_HASH)
    for pending in sorted(unlinked, key=lambda e: e.id):
        seq += 1
        pending.seq = seq
        pending.prev_hash = prev_hash
        pending.hash = event_mac(key, pending)
        prev_hash = pending.hash
    session.flush()


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_unlinked(session: Session, transaction: object) -> None:
    # A transaction that ended without linking them (rolled back) took its events with it.
    if not session.in_transaction():
        session.info.pop(_UNLINKED, None)


def event_mac(key: bytes, event: AuditEvent) -> str:
    fields = [
        MAC_DOMAIN,
        event.seq,
        event.prev_hash,
        event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        event.actor_staff_id,
        event.action,
        event.case_reference,
        event.detail,
    ]
    canonical = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


def verify_chain(session: Session, key: bytes | None = None) -> ChainBreak | None:
    """Walk the chain by number; return the first broken link, or None when intact.

    `key` defaults to the database's chain key. A chain rewritten without it (with plain
    SHA-256, or under any other key) fails at its first event.
    """
    key = chain_key_for(session) if key is None else key
    unnumbered = session.scalars(
        select(AuditEvent.id).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id).limit(1)
    ).first()
    expected_seq, expected_prev = 1, GENESIS_HASH
    query = select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)
    for row in session.scalars(query):
        seq = row.seq or 0  # never None here: the query takes numbered rows only
        if seq != expected_seq:
            missing = (
                f"event {expected_seq} is"
                if seq == expected_seq + 1
                else f"events {expected_seq} to {seq - 1} are"
            )
            return ChainBreak(f"event {expected_seq}", f"{missing} missing from the log")
        if row.prev_hash != expected_prev:
            return ChainBreak(f"event {seq}", "does not follow the event before it")
        if not hmac.compare_digest(row.hash or "", event_mac(key, row)):
            return ChainBreak(f"event {seq}", "its content was changed after it was written")
        expected_seq, expected_prev = seq + 1, row.hash or ""
    if unnumbered is not None:
        return ChainBreak(f"row {unnumbered}", "it was never linked into the chain")
    return None


def event_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


# --- anchors: the head written down outside the database ---------------------------------------


@dataclass(frozen=True)
class Anchor:
    """An event's number and MAC (`SEQ:DIGEST`), kept outside the database to check against."""

    seq: int
    digest: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.digest}"

    @classmethod
    def parse(cls, value: str) -> Anchor:
        number, sep, digest = value.strip().partition(":")
        digest = digest.lower()
        if (
            not sep
            or not (number.isascii() and number.isdigit())
            or not 0 < int(number) < 2**63
            or len(digest) != 64
            or any(char not in "0123456789abcdef" for char in digest)
        ):
            raise ValueError("an anchor is SEQ:DIGEST, an event number and 64 hex digits")
        return cls(int(number), digest)


def head(session: Session) -> Anchor | None:
    """The newest linked event as an anchor; None while the log is empty."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.seq.is_not(None))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return None
    return Anchor(row[0], row[1])


def check_anchor(session: Session, anchor: Anchor) -> str | None:
    """Why the log does not hold the anchored event unchanged; None when it does."""
    stored = session.scalars(select(AuditEvent.hash).where(AuditEvent.seq == anchor.seq)).first()
    if stored is None:
        newest = head(session)
        if newest is None or newest.seq < anchor.seq:
            ends = "the log is empty" if newest is None else f"the log ends at event {newest.seq}"
            return f"{ends}: events up to the anchored one were cut from its end"
        return f"event {anchor.seq} is missing"
    if not hmac.compare_digest(stored, anchor.digest):
        return f"event {anchor.seq} is not the one anchored: the log was rewritten"
    return None
