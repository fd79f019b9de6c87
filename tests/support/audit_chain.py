"""A short audit chain to verify, anchor and tamper with."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from advisory import audit
from advisory.models import AuditEvent
from tests.conftest import DEFAULT_NOW


def recorded_chain(session: Session, length: int = 5) -> list[AuditEvent]:
    """`length` case events a minute apart from the tests' now, committed."""
    events = [
        audit.record(
            session,
            action=f"case.opened.{n}",
            now=DEFAULT_NOW + timedelta(minutes=n),
            case_reference="K7QF-9M2X",
            detail={"n": n},
        )
        for n in range(length)
    ]
    session.commit()
    return events
