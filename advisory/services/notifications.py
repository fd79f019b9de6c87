"""In-app notifications for staff: a kind and a case reference, never case content.

(An audit log anchor note carries the anchor instead: an event number and a MAC.)

A notification names an event (`dedupe_key`, e.g. "breached:42"); the unique constraint on that
key makes every event announce itself at most once, even when two sweeps race. A note goes either
to one staff member or to everyone holding a role. A role-wide note is shared: it counts as read
for the whole role as soon as any holder reads it (the team sees that someone has picked it up).
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Select, Table, and_, func, or_, select, update
from sqlalchemy.orm import Session

from advisory.audit import Anchor
from advisory.models import Case, CaseDecline, Notification, Role, Staff, StaffLine
from advisory.services.line_membership import given_line_ids
from advisory.upserts import OnConflict, adopt

# A public case reference (like `K7QF-9M2X`). Checked so that nothing else can ride into a
# subject line through this field.
REFERENCE_PATTERN = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
_NOTIFICATIONS = cast(Table, Notification.__table__)
_INSERT_UNLESS_ANNOUNCED = OnConflict(
    lambda insert: (
        insert(_NOTIFICATIONS)
        .on_conflict_do_nothing(index_elements=[_NOTIFICATIONS.c.dedupe_key])
        .returning(_NOTIFICATIONS.c.id)
    )
)


class NotificationKind(enum.StrEnum):
    DEADLINE_AT_RISK = "deadline_at_risk"
    DEADLINE_BREACHED = "deadline_breached"
    CALLBACK_REMINDER = "callback_reminder"
    CALLBACK_MISSED = "callback_missed"
    CALLBACK_ATTEMPTS_EXHAUSTED = "callback_attempts_exhausted"
    CAPACITY_WARNING = "capacity_warning"
    CASE_ASSIGNED = "case_assigned"
    CASE_TAKEN = "case_taken"  # a colleague took over a case assigned to this lawyer
    NEW_CASE = "new_case"  # a case came in (web, phone, voicemail): for the line's lawyers
    CALLBACK_UNBOOKED = "callback_unbooked"  # no place: the report is answered in the inbox
    VOICEMAIL_UNBOOKED = "voicemail_unbooked"  # no place for a voicemail's callback: no inbox
    VOICEMAIL_RECORDED_LATE = "voicemail_recorded_late"  # left long before it was recorded
    AUDIT_ANCHOR = "audit_anchor"  # the audit log's head, for the coordinators to keep


# Subject lines: fixed text per kind. A new kind needs a line here (a test checks every kind).
TITLES: dict[NotificationKind, str] = {
    NotificationKind.DEADLINE_AT_RISK: "Deadline at risk",
    NotificationKind.DEADLINE_BREACHED: "Deadline breached",
    NotificationKind.CALLBACK_REMINDER: "Callback due soon",
    NotificationKind.CALLBACK_MISSED: "Callback missed",
    NotificationKind.CALLBACK_ATTEMPTS_EXHAUSTED: "Callback attempts exhausted",
    NotificationKind.CAPACITY_WARNING: "Callback capacity warning",
    NotificationKind.CASE_ASSIGNED: "Case assigned",
    NotificationKind.CASE_TAKEN: "Case taken over by a colleague",
    NotificationKind.NEW_CASE: "New case",
    NotificationKind.CALLBACK_UNBOOKED: "Callback could not be booked",
    NotificationKind.VOICEMAIL_UNBOOKED: "Voicemail callback could not be booked",
    NotificationKind.VOICEMAIL_RECORDED_LATE: "Voicemail recorded late",
    NotificationKind.AUDIT_ANCHOR: "Audit log anchor",
}
# For a stored kind this version no longer knows: still says nothing but that there is a note.
UNKNOWN_TITLE = "Notification"


class NotificationNotFound(LookupError):
    """No such notification for this staff member (the same answer whether it exists or not)."""


def notify(
    session: Session,
    *,
    kind: NotificationKind,
    dedupe_key: str,
    now: datetime,
    staff_id: int | None = None,
    role: Role | None = None,
    case_reference: str | None = None,
    audit_anchor: str | None = None,
) -> Notification | None:
    """Create the notification for an event once; None if that event was already announced.

    Exactly one of `staff_id` and `role` names the recipient. An AUDIT_ANCHOR note, and only
    that kind, carries an audit log anchor (`SEQ:DIGEST`). One statement decides, also
    against a concurrent writer: INSERT ... ON CONFLICT (dedupe_key) DO NOTHING. No look-up
    first and no savepoint, and a lost race leaves the caller's transaction as it was (the
    caller commits).
    """
    if (staff_id is None) == (role is None):
        raise ValueError("a notification goes to exactly one of: a staff member, or a role")
    kind = NotificationKind(kind)
    if case_reference is not None and not REFERENCE_PATTERN.fullmatch(case_reference):
        raise ValueError("case_reference must be a public case reference like K7QF-9M2X")
    if not dedupe_key:
        raise ValueError("a notification needs a dedupe key naming its event")
    if (kind is NotificationKind.AUDIT_ANCHOR) != (audit_anchor is not None):
        raise ValueError("an audit anchor goes with an AUDIT_ANCHOR notification, and only there")
    if audit_anchor is not None:
        audit_anchor = str(Anchor.parse(audit_anchor))  # ValueError unless SEQ:DIGEST

    row = {
        "staff_id": staff_id,
        "role": role,
        "kind": kind.value,
        "case_reference": case_reference,
        "created_at": now,
        "dedupe_key": dedupe_key,
        "audit_anchor": audit_anchor,
    }
    notification_id = _INSERT_UNLESS_ANNOUNCED.execute(session, row).scalar()
    if notification_id is None:
        return None  # announced before, by this transaction or another
    return adopt(session, Notification, row, notification_id)


def tell_coordinators(
    session: Session, case: Case, kind: NotificationKind, dedupe_key: str, now: datetime
) -> bool:
    """A note about a case for the coordinators; True if it is new."""
    return _about_case(session, case, kind, dedupe_key, now, role=Role.COORDINATOR)


def tell_case_team(
    session: Session, case: Case, kind: NotificationKind, dedupe_key: str, now: datetime
) -> bool:
    """A note for the assigned lawyer, or every lawyer while the case is unassigned; True if
    it is new."""
    assignee = case.assigned_lawyer_id
    role = Role.LAWYER if assignee is None else None
    return _about_case(session, case, kind, dedupe_key, now, staff_id=assignee, role=role)


def announce_new_case(session: Session, case: Case, now: datetime) -> bool:
    """Tell the lawyers that `case` came in; True if it is new, once per case.

    Every case stored through `intake.insert_case` (web reports, phone calls, and any
    other channel that stores through it) is announced there. A path that stores a case
    some other way calls this after its insert. The note is role-wide and shared, like the
    team's other notes about unassigned cases: whoever reads it picks it up for everyone.
    """
    # By reference, as every case's event key is: an id may come back after a deletion.
    kind, dedupe_key = NotificationKind.NEW_CASE, f"new_case:{case.reference}"
    return _about_case(session, case, kind, dedupe_key, now, role=Role.LAWYER)


def tell_lawyer(
    session: Session,
    case: Case,
    kind: NotificationKind,
    *,
    staff_id: int,
    dedupe_key: str,
    now: datetime,
) -> bool:
    """A note about a case for one lawyer (given it, or losing it); True if it is new."""
    return _about_case(session, case, kind, dedupe_key, now, staff_id=staff_id)


def _about_case(
    session: Session,
    case: Case,
    kind: NotificationKind,
    dedupe_key: str,
    now: datetime,
    *,
    staff_id: int | None = None,
    role: Role | None = None,
) -> bool:
    """`notify` about `case`, to a staff member or a role; True if the note is new."""
    created = notify(
        session,
        kind=kind,
        dedupe_key=dedupe_key,
        now=now,
        staff_id=staff_id,
        role=role,
        case_reference=case.reference,
    )
    return created is not None


def tell_assignee(session: Session, case: Case, event: str, now: datetime) -> bool:
    """Tell the lawyer `case` is now assigned to; `event` names this assignment (its dedupe
    key), so that it is told once. False if the case is unassigned or was told before."""
    if case.assigned_lawyer_id is None:
        return False
    return tell_lawyer(
        session,
        case,
        NotificationKind.CASE_ASSIGNED,
        staff_id=case.assigned_lawyer_id,
        dedupe_key=f"assigned:{event}",
        now=now,
    )


def unread_for(session: Session, staff: Staff) -> list[Notification]:
    """Unread notes for this staff member: their own and their role's, newest first."""
    query = (
        select(Notification)
        .where(Notification.read_at.is_(None), _addressed_to(staff))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return list(session.scalars(query))


def unread_count(session: Session, staff: Staff) -> int:
    """How many notes `unread_for` would list, counted in the database."""
    query = select(func.count(Notification.id)).where(
        Notification.read_at.is_(None), _addressed_to(staff)
    )
    return session.scalar(query) or 0


def mark_all_read(session: Session, staff: Staff, now: datetime) -> None:
    """Mark every unread note of this staff member read (role-wide ones for the whole role)."""
    session.execute(
        update(Notification)
        .where(Notification.read_at.is_(None), _addressed_to(staff))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )


def mark_read(session: Session, notification_id: int, staff: Staff, now: datetime) -> Notification:
    """Mark a note read (for the whole role if role-wide); reading it again changes nothing.

    Raises NotificationNotFound if the note does not exist or is not addressed to `staff`.
    """
    query = select(Notification).where(Notification.id == notification_id, _addressed_to(staff))
    notification = session.scalars(query).first()
    if notification is None:
        raise NotificationNotFound(notification_id)
    if notification.read_at is None:
        notification.read_at = now
        session.flush()
    return notification


def describe(notification: Notification) -> str:
    """A short subject line: the kind and the case reference, nothing else."""
    try:
        title = TITLES[NotificationKind(notification.kind)]
    except ValueError:
        title = UNKNOWN_TITLE
    reference = notification.case_reference
    if reference is None or not REFERENCE_PATTERN.fullmatch(reference):
        return title
    return f"{title}: case {reference}"


def _addressed_to(staff: Staff) -> ColumnElement[bool]:
    """Notes for `staff` or their role, except about a case they declined (it is closed to
    them: no list, count or note may name it any more) or a case of another line than theirs
    (a role-wide note reaches the role on the case's line only)."""
    declined_case = (
        select(CaseDecline.id)
        .join(Case, Case.id == CaseDecline.case_id)
        .where(CaseDecline.staff_id == staff.id, Case.reference == Notification.case_reference)
    )
    addressed = and_(
        or_(
            Notification.staff_id == staff.id,
            and_(Notification.staff_id.is_(None), Notification.role == staff.role),
        ),
        ~declined_case.exists(),
    )
    given = given_line_ids(staff)
    if staff.line_id is not None:  # a lawyer hears of their own line and those given them
        elsewhere = and_(Case.line_id != staff.line_id, Case.line_id.not_in(given))
    else:  # a coordinator given lines hears of theirs only; given none, of every line
        elsewhere = and_(given.exists(), Case.line_id.not_in(given))
    other_line_case = select(Case.id).where(
        Case.reference == Notification.case_reference, elsewhere
    )
    return and_(addressed, ~other_line_case.exists())


def of_the_cases_line(reference: str) -> Select[int]:
    """The staff of the line of the case with this reference: its own, those given it, and
    those of no line and given none."""
    line = select(Case.line_id).where(Case.reference == reference).scalar_subquery()
    given_any = select(StaffLine.staff_id).where(StaffLine.staff_id == Staff.id).exists()
    given_it = (
        select(StaffLine.staff_id)
        .where(StaffLine.staff_id == Staff.id, StaffLine.line_id == line)
        .exists()
    )
    return select(Staff.id).where(
        or_(Staff.line_id == line, given_it, and_(Staff.line_id.is_(None), ~given_any))
    )


def declined_by(reference: str) -> Select[int]:
    """The staff who declined the case with this reference."""
    return (
        select(CaseDecline.staff_id)
        .join(Case, Case.id == CaseDecline.case_id)
        .where(Case.reference == reference)
    )
