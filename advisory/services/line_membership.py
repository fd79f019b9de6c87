"""Which staff work on which line, as queries: a lawyer's own line (`Staff.line_id`) and the
lines given them (`staff_line`). Kept apart from `staff_lines` (which changes them) so that
the services that only ask can import it."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, Select, exists, false, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from advisory.models import Line, Role, Staff, StaffLine


def lawyer_line_ids(session: Session, staff: Staff) -> list[int]:
    """The lines `staff` works cases on: their own first, then those given them; none for
    anyone but a lawyer of a line."""
    if staff.role is not Role.LAWYER or staff.line_id is None:
        return []
    given = session.scalars(
        select(StaffLine.line_id)
        .where(StaffLine.staff_id == staff.id, StaffLine.line_id != staff.line_id)
        .order_by(StaffLine.line_id)
    )
    return [staff.line_id, *given]


def lawyer_lines(session: Session, staff: Staff) -> list[Line]:
    """`lawyer_line_ids` as rows, in one query: their own line first, then those given them."""
    if staff.role is not Role.LAWYER or staff.line_id is None:
        return []
    given = given_line_ids(staff)
    rows = session.scalars(select(Line).where(or_(Line.id == staff.line_id, Line.id.in_(given))))
    return sorted(rows, key=lambda line: (line.id != staff.line_id, line.id))


def on_lines(column: QueryableAttribute[int], line_ids: Collection[int]) -> ColumnElement[bool]:
    """`column` is one of the lines (an equality for one, so that indexes led by the line
    serve a single line's lawyer as before)."""
    ids = sorted(set(line_ids))
    if not ids:
        return false()
    return column == ids[0] if len(ids) == 1 else column.in_(ids)


def works_on_line(line_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    """A staff row of the line `line_id` (an SQL expression or a number): its own line, or
    one given to them."""
    given = exists().where(StaffLine.staff_id == Staff.id, StaffLine.line_id == line_id)
    return or_(Staff.line_id == line_id, given)


def given_line_ids(staff: Staff) -> Select[int]:
    """The lines given to `staff` besides their own, as a subquery."""
    return select(StaffLine.line_id).where(StaffLine.staff_id == staff.id)


def works_on_lines(line_ids: Collection[int]) -> ColumnElement[bool]:
    """A staff row of any of the lines `line_ids`: its own line, or one given to them."""
    ids = sorted(set(line_ids))
    given = exists().where(StaffLine.staff_id == Staff.id, StaffLine.line_id.in_(ids))
    return or_(Staff.line_id.in_(ids), given)
