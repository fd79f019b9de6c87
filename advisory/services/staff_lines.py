"""Which lines' figures a coordinator sees: the lines they are given, or every line."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from advisory import audit
from advisory.models import Line, Role, Staff, StaffLine
from advisory.services.staff import StaffError


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
    """Give a coordinator exactly these lines (none: every line together); audited. Returns
    the slugs given. Raises StaffError for anyone but a coordinator or an unknown line."""
    if staff.role is not Role.COORDINATOR:
        raise StaffError(f"{staff.username} is no coordinator: only coordinators are given lines.")
    lines = list(session.scalars(select(Line).where(Line.id.in_(line_ids)).order_by(Line.id)))
    if len(lines) != len(set(line_ids)):
        raise StaffError("No such line.")
    session.execute(delete(StaffLine).where(StaffLine.staff_id == staff.id))
    session.add_all(StaffLine(staff_id=staff.id, line_id=line.id) for line in lines)
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


def given_line_ids(session: Session) -> dict[int, set[int]]:
    """Each coordinator's given lines, by staff id (for the staff accounts page)."""
    given: dict[int, set[int]] = {}
    for row in session.scalars(select(StaffLine)):
        given.setdefault(row.staff_id, set()).add(row.line_id)
    return given
