"""Anchoring the audit log: its head, sent to the coordinators to keep outside the database.

An anchor (`SEQ:DIGEST`) names the newest event and its MAC. Kept in a mailbox or on paper, it
lets `flask --app advisory audit verify --anchor SEQ:DIGEST` catch what the chain key alone
cannot: events cut from the end of the log, or a log rewritten by someone who holds the key.
An anchor equal to the last one sent is not sent again: a day without new events sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from advisory import audit
from advisory.audit import Anchor
from advisory.models import Notification, Role
from advisory.services.notifications import NotificationKind, notify


@dataclass(frozen=True)
class SentAnchor:
    anchor: Anchor
    new: bool  # False when this anchor had been sent before


def send_anchor(session: Session, *, now: datetime) -> SentAnchor | None:
    """On demand: note the head for the coordinators (flush only); None while the log is empty."""
    anchor = audit.head(session)
    if anchor is None:
        return None
    return _send(session, anchor, dedupe_key=f"audit-anchor:event:{anchor.seq}", now=now)


def send_daily_anchor(session: Session, *, now: datetime, timezone: str) -> bool:
    """At most one anchor per local day (flush only); True when a new one was noted."""
    day = now.astimezone(ZoneInfo(timezone)).date()
    dedupe_key = f"audit-anchor:day:{day.isoformat()}"
    sent_today = select(Notification.id).where(Notification.dedupe_key == dedupe_key)
    if session.scalars(sent_today).first() is not None:
        return False  # the usual case, at every tick: one look-up by a unique key
    anchor = audit.head(session)
    if anchor is None:
        return False
    return _send(session, anchor, dedupe_key=dedupe_key, now=now).new


def _send(session: Session, anchor: Anchor, *, dedupe_key: str, now: datetime) -> SentAnchor:
    if _last_sent(session) == str(anchor):
        return SentAnchor(anchor, new=False)  # no event since: the last anchor still holds
    created = notify(
        session,
        kind=NotificationKind.AUDIT_ANCHOR,
        dedupe_key=dedupe_key,
        now=now,
        role=Role.COORDINATOR,
        audit_anchor=str(anchor),
    )
    return SentAnchor(anchor, new=created is not None)


def _last_sent(session: Session) -> str | None:
    query = (
        select(Notification.audit_anchor)
        .where(Notification.kind == NotificationKind.AUDIT_ANCHOR.value)
        .order_by(Notification.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()
