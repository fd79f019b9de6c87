"""The lines a staff member works on.

A lawyer belongs to one or more lines: their own (`Staff.line_id`, whose language and time
zone their pages default to) and any more they are given (`staff_line`); they see the cases,
notices and keys of those lines only. A coordinator is given the lines whose figures they see
(several: a network's, summed); given none, every line together.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from advisory import audit
from advisory.models import Case, CaseStatus, Line, Role, Staff, StaffLine
from advisory.services.key_management import revoke_line_keys
from advisory.services.line_membership import lawyer_line_ids
from advisory.services.staff import StaffError, unassign


def given_lines(session: Session, staff: Staff) -> list[Line]:
    """The lines given to `staff`, in the order they were made; empty: none in particular."""
    query = (
        select(Line)
        .join(StaffLine, StaffLine.line_id == Line.id)
        .where(StaffLine.staff_id == staff.id)
        .order_by(Line.id)
    )
    return list(session.scalars(query))


def figure_lines(session: Session, staff: Staff) -> list[Line]:
    """The lines whose figures `staff` sees: those given to them, else every line."""
    given = given_lines(session, staff)
    return given or list(session.scalars(select(Line).order_by(Line.id)))


def give_lines(
    session: Session,
    staff: Staff,
    line_ids: Collection[int],
    *,
    now: datetime,
    actor_staff_id: int | None = None,
) -> list[str]:
    """Give a coordinator or a lawyer exactly these lines; audited. Returns the slugs given.

    A coordinator given none sees every line together. A lawyer needs at least one: keeps
    their own line if it is among them (else the first becomes their own), and loses the cases
    and line keys of any line taken from them. Raises StaffError for other roles, an unknown
    line, a lawyer given none, or a deactivated account (it has nothing to work on; a line
    given now would come back with it unasked)."""
    if not staff.active:
        raise StaffError(f"{staff.username} is deactivated: reactivate them first.")
    if staff.role not in (Role.COORDINATOR, Role.LAWYER):
        raise StaffError(
            f"{staff.username} is a {staff.role.value}: only coordinators and lawyers are "
            "given lines."
        )
    lines = list(session.scalars(select(Line).where(Line.id.in_(line_ids)).order_by(Line.id)))
    if len(lines) != len(set(line_ids)):
        raise StaffError("No such line.")
    if staff.role is Role.LAWYER:
        _move_lawyer(session, staff, [line.id for line in lines], now=now)
    session.execute(delete(StaffLine).where(StaffLine.staff_id == staff.id))
    session.add_all(
        StaffLine(staff_id=staff.id, line_id=line.id) for line in lines if line.id != staff.line_id
    )
    session.flush()
    slugs = [line.slug for line in lines]
    audit.record(
        session,
        action="staff.lines",
        now=now,
        actor_staff_id=actor_staff_id,
        detail={"username": staff.username, "lines": ", ".join(slugs) or "every line"},
    )
    return slugs


def lines_by_staff(session: Session) -> dict[int, set[int]]:
    """Each staff member's lines, by staff id (for the staff accounts page): a coordinator's
    given lines; a lawyer's own line and those given them."""
    given: dict[int, set[int]] = {}
    for row in session.scalars(select(StaffLine)):
        given.setdefault(row.staff_id, set()).add(row.line_id)
    own = select(Staff.id, Staff.line_id).where(
        Staff.role == Role.LAWYER, Staff.line_id.is_not(None)
    )
    for staff_id, line_id in session.execute(own):
        if line_id is not None:
            given.setdefault(staff_id, set()).add(line_id)
    return given


def _move_lawyer(session: Session, staff: Staff, line_ids: list[int], *, now: datetime) -> None:
    """A lawyer's own line among `line_ids`; what they had of any line they leave goes: their
    grants of its keys (revoked as on deactivation, so that the line's other lawyers are
    offered a key they never held) and the open cases of it assigned to them."""
    if not line_ids:
        raise StaffError(f"{staff.username} is a lawyer: give them at least one line.")
    leaving = [line for line in lawyer_line_ids(session, staff) if line not in line_ids]
    if staff.line_id not in line_ids:
        staff.line_id = line_ids[0]
    if not leaving:
        return
    revoke_line_keys(session, staff=staff, now=now, line_ids=leaving)
    open_cases = session.scalars(
        select(Case)
        .where(
            Case.assigned_lawyer_id == staff.id,
            Case.line_id.in_(leaving),
            Case.status != CaseStatus.CLOSED,
        )
        .order_by(Case.reference)
    )
    unassign(session, open_cases, staff, reason="line_left", now=now)
