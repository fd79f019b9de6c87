"""Adding, listing, deactivating and reactivating staff accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from advisory import audit, passwords, totp
from advisory.models import Case, CaseStatus, Role, Staff
from advisory.services.key_management import revoke_line_keys
from advisory.services.line_keys import default_line

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class StaffError(ValueError):
    """A staff account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class NewStaff:
    staff: Staff
    one_time_password: str
    totp_seed: str
    totp_uri: str

    def __repr__(self) -> str:
        return f"NewStaff({self.staff.username}, <secrets hidden>)"


def add_staff(
    session: Session,
    *,
    username: str,
    role: Role,
    data_key: bytes,
    now: datetime,
    password: str | None = None,
) -> NewStaff:
    """Create an account with a one-time password and a TOTP seed, both shown once."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise StaffError(
            "A username has 3 to 64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    if session.scalars(select(Staff.id).where(Staff.username == username)).first() is not None:
        raise StaffError(f"There is already a staff member called {username!r}.")

    line = default_line(session)
    if role is Role.LAWYER and line is None:
        raise StaffError("Run `flask --app advisory init` first: a lawyer belongs to a line.")

    one_time_password = password or passwords.generate_one_time_password()
    seed = totp.new_seed()
    staff = Staff(
        username=username,
        role=role,
        line_id=line.id if role is Role.LAWYER and line is not None else None,
        password_hash=passwords.hash_password(one_time_password),
        totp_secret_encrypted=totp.seal_seed(data_key, seed),
        must_change_password=True,
        created_at=now,
    )
    session.add(staff)
    session.flush()
    audit.record(
        session, action="staff.added", now=now, detail={"staff": username, "role": role.value}
    )
    return NewStaff(staff, one_time_password, seed, totp.provisioning_uri(seed, username))


def list_staff(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).order_by(Staff.role, Staff.username)))


@dataclass(frozen=True)
class Deactivation:
    staff: Staff
    was_active: bool
    revoked_keys: list[str]  # key ids whose wrap for them was deleted
    unassigned: list[str]  # references of their open cases, now unassigned


def deactivate_staff(session: Session, *, username: str, now: datetime) -> Deactivation:
    """Take someone off the line for good (flush only; the caller commits).

    The account can no longer sign in, every session of it ends (the epoch moves), every line
    key wrapped for it is deleted, and its open cases go back to unassigned, where every lawyer
    of the line sees them. Closed cases keep their assignee for the figures. Running it again
    on an inactive account finishes whatever is left and changes nothing else.
    """
    name = username.strip().lower()
    staff = session.scalars(select(Staff).where(Staff.username == name)).first()
    if staff is None:
        raise StaffError(f"There is no staff member called {name!r}.")
    was_active = staff.active
    staff.active = False
    staff.session_epoch += 1
    session.flush()
    revoked = revoke_line_keys(session, staff=staff, now=now)
    open_cases = list(
        session.scalars(
            select(Case)
            .where(Case.assigned_lawyer_id == staff.id, Case.status != CaseStatus.CLOSED)
            .order_by(Case.reference)
        )
    )
    for case in open_cases:
        case.assigned_lawyer_id = None
    session.flush()
    audit.record(
        session,
        action="staff.deactivated",
        now=now,
        detail={"staff": name, "was_active": was_active, "unassigned": len(open_cases)},
    )
    for case in open_cases:
        audit.record(
            session,
            action="case.unassigned",
            now=now,
            case_reference=case.reference,
            detail={"from": name, "reason": "staff_deactivated"},
        )
    return Deactivation(staff, was_active, revoked, [case.reference for case in open_cases])


def reactivate_staff(
    session: Session, *, username: str, data_key: bytes, now: datetime
) -> NewStaff:
    """Let a deactivated account sign in again, as if new (flush only; the caller commits).

    Nothing from before comes back: a new one-time password and a new TOTP seed, both to be
    replaced at the first sign-in, no lockout, no session. A lawyer holds no line key until
    someone grants it again (`keys grant`), and gets no cases back.
    """
    name = username.strip().lower()
    staff = session.scalars(select(Staff).where(Staff.username == name)).first()
    if staff is None:
        raise StaffError(f"There is no staff member called {name!r}.")
    if staff.active:
        raise StaffError(f"{name} is active; only a deactivated account can be reactivated.")
    one_time_password = passwords.generate_one_time_password()
    seed = totp.new_seed()
    staff.active = True
    staff.password_hash = passwords.hash_password(one_time_password)
    staff.must_change_password = True
    staff.totp_secret_encrypted = totp.seal_seed(data_key, seed)
    staff.totp_confirmed = False
    staff.totp_last_step = None
    staff.failed_logins = 0
    staff.locked_until = None
    staff.session_epoch += 1
    session.flush()
    audit.record(session, action="staff.reactivated", now=now, detail={"staff": name})
    return NewStaff(staff, one_time_password, seed, totp.provisioning_uri(seed, name))
