"""Announcing events in tests: `notify` at the tests' fixed now unless told otherwise."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from advisory.models import Notification, Role
from advisory.services.notifications import NotificationKind, notify
from tests.conftest import DEFAULT_NOW


def announce(
    session: Session,
    kind: NotificationKind,
    key: str,
    *,
    now: datetime = DEFAULT_NOW,
    **fields: Any,
) -> Notification | None:
    """`notify` of an event whose dedupe key is `key`; `fields` name the recipient and more."""
    return notify(session, kind=kind, dedupe_key=key, now=now, **fields)


def stored_by_another_writer(session: Session, kind: str, key: str) -> None:
    """A coordinators' note already in the table, written without `notify`."""
    session.execute(
        sa.insert(Notification).values(
            role=Role.COORDINATOR, kind=kind, dedupe_key=key, created_at=DEFAULT_NOW
        )
    )
