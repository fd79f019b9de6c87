"""The lawyers' queue: open cases of the lawyer's lines, most urgent first, one page at a time.

Three queries per page, whatever its size: the lawyer's lines, the rows (assignee by join,
booked callback and unread messages by correlated subqueries) and the total. Time left to the
deadline is counted in opening hours, in Python, for the page's rows only. No case content is
read.

Speed (bench/queue.py, 100 000 cases of which 20 000 open): partial indexes over open cases in
queue order (`ix_case_open_queue`, `ix_case_open_assignee`) let both queries read an index
instead of sorting or counting table rows, provided the condition says "not closed" as the
indexes do. The page's case ids are chosen first, in a subquery over the index alone, and only
those rows are read and get the per-case subqueries: a page far down the list costs little more
than the first.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, func, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from advisory.hours import Calendar
from advisory.models import (
    Callback,
    CallbackStatus,
    Case,
    CaseDecline,
    CaseStatus,
    Channel,
    Direction,
    Field,
    Kind,
    Message,
    ReporterRole,
    Staff,
)
from advisory.services.line_membership import lawyer_lines, on_lines
from advisory.services.line_settings import config_of

PER_PAGE = 50


class QueueFilter(enum.StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"


class DeadlineState(enum.StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


OPEN_STATUSES = tuple(status for status in CaseStatus if status is not CaseStatus.CLOSED)


class CountsDown:
    """Opening time left to the deadline, split for the pages into hours and minutes."""

    time_left: timedelta  # a field of the dataclass that mixes this in

    @property
    def hours_left(self) -> int:
        return int(self.time_left.total_seconds()) // 3600

    @property
    def minutes_left(self) -> int:
        return int(self.time_left.total_seconds()) % 3600 // 60


@dataclass(frozen=True)
class QueueRow(CountsDown):
    reference: str
    line_id: int
    priority: int
    kind: Kind
    reporter_role: ReporterRole | None
    field: Field | None
    channel: Channel
    status: CaseStatus
    received_at: datetime
    callback_due_at: datetime
    booked_slot: datetime | None
    assignee: str | None
    unread: int
    time_left: timedelta
    state: DeadlineState


@dataclass(frozen=True)
class QueuePage:
    rows: Sequence[QueueRow]
    total: int
    page: int
    per_page: int
    # The lawyer's lines by id, when they work on more than one (the page then names them).
    line_names: Mapping[int, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def deadline_state(
    now: datetime, due: datetime, time_left: timedelta, at_risk: timedelta
) -> DeadlineState:
    if due <= now:
        return DeadlineState.BREACHED
    if time_left <= at_risk:
        return DeadlineState.AT_RISK
    return DeadlineState.OK


# Per case of the page: the earliest booked callback and the count of unread messages.
_BOOKED_SLOT = (
    select(func.min(Callback.slot_start))
    .where(Callback.case_id == Case.id, Callback.status == CallbackStatus.BOOKED)
    .correlate(Case)
    .scalar_subquery()
)
_UNREAD = (
    select(func.count())
    .where(
        Message.case_id == Case.id,
        Message.direction == Direction.FROM_REPORTER,
        Message.read_at.is_(None),
    )
    .correlate(Case)
    .scalar_subquery()
)
_QUEUE_ORDER = (Case.priority, Case.callback_due_at, Case.id)


def queue_page(
    session: Session,
    *,
    lawyer: Staff,
    filter: QueueFilter,  # shadows the builtin: the name the page and its form use
    status: CaseStatus | None,
    priority: int | None,
    page: int,
    now: datetime,
    at_risk_opening_hours: int,
    line_id: int | None = None,
    per_page: int = PER_PAGE,
) -> QueuePage:
    """One page of the open cases on `lawyer`'s lines (or on `line_id`, one of them), by
    priority, then deadline; the time left to each deadline is opening time of the case's
    line. A lawyer without a line has none."""
    configs = {line.id: config_of(line) for line in lawyer_lines(session, lawyer)}
    if not configs:
        return QueuePage(rows=[], total=0, page=1, per_page=per_page)
    lines = list(configs)
    calendars = {line: config.calendar for line, config in configs.items()}
    shown = [line_id] if line_id in calendars else lines
    conditions = _conditions(lawyer, filter, status, priority)
    of_shown = on_lines(Case.line_id, shown)
    total = session.scalar(select(func.count()).select_from(Case).where(of_shown, *conditions)) or 0
    page = min(max(page, 1), max(1, -(-total // per_page)))  # past the end: the last page
    at_risk = timedelta(hours=at_risk_opening_hours)
    page_ids = _page_ids(shown, conditions, page, per_page)
    rows = [
        _queue_row(row, now, calendars[row.line_id], at_risk)
        for row in session.execute(_page_statement(page_ids))
    ]
    names = {line: config.name for line, config in configs.items()} if len(lines) > 1 else {}
    return QueuePage(rows=rows, total=total, page=page, per_page=per_page, line_names=names)


def _page_ids(
    line_ids: Sequence[int], conditions: list[ColumnElement[bool]], page: int, per_page: int
) -> Subquery:
    """The page's case ids, chosen over the index alone.

    The indexes are led by the line: one line's cases come in queue order straight from it. For
    several lines, each line's first cases up to the end of the page are taken from its own
    part of the index, and the page is cut from those: an index range per line rather than a
    sort of every open case of every line."""
    offset = (page - 1) * per_page
    if len(line_ids) == 1:
        return (
            select(Case.id)
            .where(Case.line_id == line_ids[0], *conditions)
            .order_by(*_QUEUE_ORDER)
            .limit(per_page)
            .offset(offset)
            .subquery("page_ids")
        )
    firsts = [
        select(Case.id, Case.priority, Case.callback_due_at)
        .where(Case.line_id == line_id, *conditions)
        .order_by(*_QUEUE_ORDER)
        .limit(offset + per_page)
        .subquery(f"line_{number}")
        for number, line_id in enumerate(line_ids)
    ]
    merged = union_all(*(select(first) for first in firsts)).subquery("of_each_line")
    return (
        select(merged.c.id)
        .order_by(merged.c.priority, merged.c.callback_due_at, merged.c.id)
        .limit(per_page)
        .offset(offset)
        .subquery("page_ids")
    )


def _page_statement(page_ids: Subquery) -> Select:
    """The page's rows: only those of `page_ids` read, with their per-case subqueries.

    The columns are named as QueueRow's fields (all of them but the two counted in Python)."""
    return (
        select(
            Case.reference,
            Case.line_id,
            Case.priority,
            Case.kind,
            Case.reporter_role,
            Case.field,
            Case.channel,
            Case.status,
            Case.received_at,
            Case.callback_due_at,
            _BOOKED_SLOT.label("booked_slot"),
            Staff.username.label("assignee"),
            _UNREAD.label("unread"),
        )
        .select_from(page_ids)
        .join(Case, Case.id == page_ids.c.id)
        .outerjoin(Staff, Staff.id == Case.assigned_lawyer_id)
        .order_by(*_QUEUE_ORDER)
    )


def _queue_row(row: Row[Any], now: datetime, calendar: Calendar, at_risk: timedelta) -> QueueRow:
    time_left = calendar.opening_time_between(now, row.callback_due_at)
    state = deadline_state(now, row.callback_due_at, time_left, at_risk)
    return QueueRow(**row._asdict(), time_left=time_left, state=state)


def _conditions(
    lawyer: Staff,
    filter: QueueFilter,
    status: CaseStatus | None,
    priority: int | None,
) -> list[ColumnElement[bool]]:
    """What a case in the queue must be, besides being of one of the lines shown."""
    if status is CaseStatus.CLOSED:
        raise ValueError("the queue lists open cases only")
    # "Not closed" in exactly the words of the partial indexes' condition, so that both
    # databases may use them; a chosen status narrows it further.
    conditions: list[ColumnElement[bool]] = [
        Case.status != CaseStatus.CLOSED,
        not_declined_by(lawyer),
    ]
    if status is not None:
        conditions.append(Case.status == status)
    if filter is QueueFilter.MINE:
        conditions.append(Case.assigned_lawyer_id == lawyer.id)
    elif filter is QueueFilter.UNASSIGNED:
        conditions.append(Case.assigned_lawyer_id.is_(None))
    if priority is not None:
        conditions.append(Case.priority == priority)
    return conditions


def not_declined_by(lawyer: Staff) -> ColumnElement[bool]:
    """A lawyer who declined a case for a conflict of interest no longer sees it at all."""
    declined = select(CaseDecline.id).where(
        CaseDecline.case_id == Case.id, CaseDecline.staff_id == lawyer.id
    )
    return ~declined.exists()
