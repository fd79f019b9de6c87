"""The tamper-evident audit log: an append-only hash chain of staff actions.

Each event's hash covers its own fields and the previous event's hash, so changing,
removing or reordering any row breaks every link after it. Events never hold case content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from advisory.models import AuditEvent

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def record(
    session: Session,
    *,
    action: str,
    now: datetime,
    actor_staff_id: int | None = None,
    case_reference: str | None = None,
    detail: Mapping[str, str | int | bool | None] | None = None,
) -> AuditEvent:
    """Append one event to the chain (flush only; the caller commits)."""
    tail = session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    event = AuditEvent(
        occurred_at=now.astimezone(UTC),
        actor_staff_id=actor_staff_id,
        action=action,
        case_reference=case_reference,
        detail=json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":")),
        prev_hash=tail or GENESIS_HASH,
    )
    event.hash = event_hash(event)
    session.add(event)
    session.flush()
    return event


def event_hash(event: AuditEvent) -> str:
    fields = [
        event.prev_hash,
        event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        event.actor_staff_id,
        event.action,
        event.case_reference,
        event.detail,
    ]
    canonical = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def verify_chain(session: Session) -> ChainBreak | None:
    """Walk the chain in order; return the first broken link, or None when intact."""
    expected_prev = GENESIS_HASH
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != expected_prev:
            return ChainBreak(event.id, "does not follow the event before it")
        if event.hash != event_hash(event):
            return ChainBreak(event.id, "its content was changed after it was written")
        expected_prev = event.hash
    return None
