"""Who gets a new case: the on-duty lawyer with the fewest open cases (DESIGN.md, "Triage").

There is no duty roster of named people yet, so "on duty" means every active lawyer of the
case's line while the line is open. Outside opening hours nobody is on duty: the case stays
unassigned, visible to all lawyers of the line, rather than waiting silently with one person
who may not look before the next opening.

Ties on open cases go to whoever has had fewer cases in total, then to the lower staff id, so
the choice is fair over time and the same on every run. Two cases arriving at the same moment
may both go to the same lawyer; that costs a little balance, never correctness.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from advisory.hours import Calendar
from advisory.models import Case, CaseStatus, Role, Staff
from advisory.services.line_membership import works_on_line
from advisory.services.notifications import tell_assignee


class AssignmentError(ValueError):
    """A case cannot be moved as asked; the message says why."""


def _least_loaded_lawyer() -> sa.Select[Staff]:
    open_cases = sa.func.count(sa.case((Case.status != CaseStatus.CLOSED, Case.id)))
    all_cases = sa.func.count(Case.id)
    return (
        sa.select(Staff)
        .outerjoin(Case, Case.assigned_lawyer_id == Staff.id)
        .where(
            Staff.role == Role.LAWYER,
            Staff.active.is_(True),
            works_on_line(sa.bindparam("line_id")),
        )
        .group_by(Staff.id)
        .order_by(open_cases, all_cases, Staff.id)
        .limit(1)
    )


# Built once, with the line (and those left out) as parameters: building this statement cost
# twenty times more than running it, on every report during opening hours.
_LEAST_LOADED = _least_loaded_lawyer()
_LEAST_LOADED_EXCEPT = _least_loaded_lawyer().where(
    Staff.id.not_in(sa.bindparam("excluded_ids", expanding=True))
)


def pick_assignee(
    session: Session,
    *,
    line_id: int,
    now: datetime,
    calendar: Calendar,
    excluded_ids: Collection[int] = frozenset(),
) -> Staff | None:
    """The on-duty lawyer of `line_id` with the fewest open cases, or None (unassigned).

    None when the line is closed at `now`, or when no active lawyer of the line is left after
    leaving out `excluded_ids` (for example, those who declined the case).
    """
    if not calendar.is_open(now):
        return None
    if excluded_ids:
        parameters = {"line_id": line_id, "excluded_ids": list(excluded_ids)}
        return session.scalars(_LEAST_LOADED_EXCEPT, parameters).first()
    return session.scalars(_LEAST_LOADED, {"line_id": line_id}).first()


def reassign_after_decline(
    session: Session,
    case: Case,
    declining_lawyer: Staff,
    now: datetime,
    calendar: Calendar,
    *,
    excluded_ids: Collection[int] = frozenset(),
) -> Staff | None:
    """Move `case` on from the lawyer who declined it; return the new assignee, or None.

    `excluded_ids` are the others who declined it before (the decline record is kept elsewhere);
    nobody excluded gets the case back. With no one left, or the line closed, the case becomes
    unassigned and visible to all lawyers of the line. A new assignee is told.
    """
    if case.status is CaseStatus.CLOSED:
        raise AssignmentError(f"case {case.reference} is closed; there is nothing to decline")
    if case.assigned_lawyer_id not in (None, declining_lawyer.id):
        raise AssignmentError(
            f"case {case.reference} is assigned to someone else; only they can decline it"
        )
    assignee = pick_assignee(
        session,
        line_id=case.line_id,
        now=now,
        calendar=calendar,
        excluded_ids={*excluded_ids, declining_lawyer.id},
    )
    case.assigned_lawyer_id = assignee.id if assignee is not None else None
    # A lawyer declines a case once, so the decline names this assignment.
    tell_assignee(session, case, f"declined:{case.reference}:{declining_lawyer.id}", now)
    session.flush()
    return assignee
