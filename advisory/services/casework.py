"""One case as a lawyer sees it: who may open it, what the page shows, and the audit of opening.

The server hands the lawyer's browser envelopes, never plaintext: the narrative and messages
are sealed to the line key, which only the browser unwraps. Handing them out is a read of
content, so every opening is an audit event, and the page lists those events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

import crypto
from advisory import audit
from advisory.models import (
    AuditEvent,
    Callback,
    Case,
    CaseDecline,
    CaseStatus,
    Direction,
    Message,
    Role,
    Staff,
)
from advisory.services.line_membership import given_line_ids, works_on_line
from advisory.services.line_settings import line_config
from advisory.services.queue import CountsDown, DeadlineState, deadline_state, not_declined_by

# Opening a case is audited every time; on the page, a person's openings in a row are one line.
OPENED = "case.opened"
# Reads of the case's content: repeated ones are one line per person (group_openings).
EVIDENCE_READ = "evidence.read"
READS = frozenset({OPENED, EVIDENCE_READ})


@dataclass(frozen=True)
class TrailEntry:
    occurred_at: datetime  # for grouped openings, the last one
    actor: str | None
    action: str
    times: int = 1  # how many openings this line stands for
    first_at: datetime | None = None  # the first of grouped openings

    def seen_again(self, later: TrailEntry) -> TrailEntry:
        """This opening and a later one by the same person, as one line."""
        first = self.first_at or self.occurred_at
        return replace(self, occurred_at=later.occurred_at, times=self.times + 1, first_at=first)


@dataclass(frozen=True)
class CaseView(CountsDown):
    case: Case
    messages: list[Message]
    callbacks: list[Callback]
    assignee: Staff | None
    colleagues: list[Staff]  # lawyers of the line who may be given the case
    trail: list[TrailEntry]
    time_left: timedelta
    state: DeadlineState

    @property
    def reply_key_usable(self) -> bool:
        """The case has a reporter key a reply can be sealed to (web cases; not phone ones)."""
        key = self.case.reporter_public_key
        if key is None:
            return False
        try:
            crypto.public_key_from_text(key)
        except crypto.KeyFormatError:
            return False
        return True


def case_for_lawyer(session: Session, reference: str, lawyer: Staff) -> Case | None:
    """The case if `lawyer` may work it: of one of their lines, not declined by them.
    Otherwise None.

    Callers answer None with "not found", so a lawyer learns nothing about other lines' cases.
    """
    if lawyer.role is not Role.LAWYER or not lawyer.active or lawyer.line_id is None:
        return None
    query = select(Case).where(
        Case.reference == reference.strip().upper(),
        or_(Case.line_id == lawyer.line_id, Case.line_id.in_(given_line_ids(lawyer))),
        not_declined_by(lawyer),
    )
    return session.scalars(query).first()


def open_case(
    session: Session,
    case: Case,
    lawyer: Staff,
    *,
    now: datetime,
    at_risk_opening_hours: int,
) -> CaseView:
    """Everything the case page shows; records the opening and marks incoming messages read.
    The time left to the deadline is opening time of the case's own line."""
    audit.record_for_case(session, case, action="case.opened", now=now, actor=lawyer)
    session.execute(
        update(Message)
        .where(
            Message.case_id == case.id,
            Message.direction == Direction.FROM_REPORTER,
            Message.read_at.is_(None),
        )
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    messages = list(
        session.scalars(
            select(Message).where(Message.case_id == case.id).order_by(Message.created_at)
        )
    )
    callbacks = list(
        session.scalars(
            select(Callback).where(Callback.case_id == case.id).order_by(Callback.slot_start)
        )
    )
    calendar = line_config(session, case.line_id).calendar
    time_left = calendar.opening_time_between(now, case.callback_due_at)
    return CaseView(
        case=case,
        messages=messages,
        callbacks=callbacks,
        assignee=session.get(Staff, case.assigned_lawyer_id) if case.assigned_lawyer_id else None,
        colleagues=colleagues_for(session, case),
        trail=trail(session, case.reference),
        time_left=time_left,
        state=deadline_state(
            now, case.callback_due_at, time_left, timedelta(hours=at_risk_opening_hours)
        ),
    )


def colleagues_for(session: Session, case: Case) -> list[Staff]:
    """Active lawyers of the case's line who have not declined it."""
    declined = select(CaseDecline.staff_id).where(CaseDecline.case_id == case.id)
    query = (
        select(Staff)
        .where(
            Staff.role == Role.LAWYER,
            Staff.active.is_(True),
            works_on_line(case.line_id),
            Staff.id.not_in(declined),
        )
        .order_by(Staff.username)
    )
    return list(session.scalars(query))


def trail(session: Session, reference: str) -> list[TrailEntry]:
    """The case's audit events, oldest first, with the acting staff member's username; the
    openings between two other events are one line per person (`group_openings`)."""
    query = (
        select(AuditEvent.occurred_at, Staff.username, AuditEvent.action)
        .outerjoin(Staff, Staff.id == AuditEvent.actor_staff_id)
        .where(AuditEvent.case_reference == reference)
        .order_by(AuditEvent.id)
    )
    return group_openings(
        TrailEntry(at, actor, action) for at, actor, action in session.execute(query)
    )


def group_openings(entries: Iterable[TrailEntry]) -> list[TrailEntry]:
    """Openings (and file reads) between two other events, as one line per person and kind,
    with how many and the last.

    Every other event keeps its own line and its place, so the trail still reads in order:
    what was done, and who looked at the case in between.
    """
    grouped: list[TrailEntry] = []
    openings: dict[tuple[str | None, str], TrailEntry] = {}
    for entry in entries:
        if entry.action not in READS:
            grouped += _by_last_opening(openings)
            openings = {}
            grouped.append(entry)
            continue
        key = (entry.actor, entry.action)
        earlier = openings.get(key)
        openings[key] = entry if earlier is None else earlier.seen_again(entry)
    return grouped + _by_last_opening(openings)


def _by_last_opening(openings: dict[tuple[str | None, str], TrailEntry]) -> list[TrailEntry]:
    return sorted(openings.values(), key=lambda entry: entry.occurred_at)


def is_open(case: Case) -> bool:
    return case.status is not CaseStatus.CLOSED
