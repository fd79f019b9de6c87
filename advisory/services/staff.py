"""Adding, listing, deactivating, reactivating and resetting staff accounts.

A password made here (one-time, shown once to whoever hands it over) is kept only as the
argon2id of the authentication key a browser derives from it (services/credentials.py). No
function here touches key material beyond deleting it: an account that starts over gets a
new key pair in its own browser and waits for a colleague's grant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from advisory import audit, passwords, totp
from advisory.models import Case, CaseStatus, CredentialScheme, Line, Role, Staff
from advisory.services.credentials import credential_hash
from advisory.services.key_management import revoke_line_keys
from advisory.services.line_keys import default_line
from advisory.services.line_membership import lawyer_lines

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class StaffError(ValueError):
    """A staff account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class NewStaff:
    staff: Staff
    one_time_password: str = field(repr=False)
    # The seed stored with the account now. A first sign-in replaces it with the one the
    # welcome page shows, so it confirms nothing for a person: it signs in only an account
    # marked enrolled without that sign-in (the demo's, the tests').
    totp_seed: str = field(repr=False)


def add_staff(
    session: Session,
    *,
    username: str,
    role: Role,
    data_key: bytes,
    now: datetime,
    password: str | None = None,
    line_id: int | None = None,
) -> NewStaff:
    """Create an account with a one-time password, shown once, and a placeholder TOTP seed:
    the first sign-in makes the seed the person enrols (services/sign_in.py). A lawyer belongs
    to line `line_id`; left out, to the first line."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise StaffError(
            "A username has 3 to 64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    if session.scalars(select(Staff.id).where(Staff.username == username)).first() is not None:
        raise StaffError(f"There is already a staff member called {username!r}.")

    line = default_line(session) if line_id is None else session.get(Line, line_id)
    if role is Role.LAWYER and line is None:
        raise StaffError("Run `flask --app advisory init` first: a lawyer belongs to a line.")

    one_time_password = password or passwords.generate_one_time_password()
    seed = totp.new_seed()
    staff = Staff(
        username=username,
        role=role,
        line_id=line.id if role is Role.LAWYER and line is not None else None,
        password_hash=credential_hash(one_time_password, username=username, data_key=data_key),
        credential_scheme=CredentialScheme.SPLIT_V1,
        totp_secret_encrypted=totp.seal_seed(data_key, seed),
        must_change_password=True,
        created_at=now,
    )
    session.add(staff)
    session.flush()
    audit.record(
        session, action="staff.added", now=now, detail={"staff": username, "role": role.value}
    )
    return NewStaff(staff, one_time_password, seed)


def list_staff(session: Session) -> list[Staff]:
    return list(session.scalars(select(Staff).order_by(Staff.role, Staff.username)))


@dataclass(frozen=True)
class Deactivation:
    staff: Staff
    was_active: bool
    revoked_keys: list[str]  # key ids whose wrap for them was deleted
    unassigned: list[str]  # references of their open cases, now unassigned
    # They held the active line key: its holders are offered a new one.
    rotation_advised: bool = False


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
    deactivated: audit.Detail = {
        "staff": name,
        "was_active": was_active,
        "unassigned": len(open_cases),
    }
    audit.record(session, action="staff.deactivated", now=now, detail=deactivated)
    unassign(session, open_cases, staff, reason="staff_deactivated", now=now)
    advised = any(line.rotation_advised_at is not None for line in lawyer_lines(session, staff))
    return Deactivation(
        staff, was_active, revoked, [case.reference for case in open_cases], advised
    )


def unassign(
    session: Session, cases: Iterable[Case], staff: Staff, *, reason: str, now: datetime
) -> None:
    """Take `cases` from `staff` back to unassigned, each with an audit event saying why."""
    for case in cases:
        case.assigned_lawyer_id = None
        audit.record(
            session,
            action="case.unassigned",
            now=now,
            case_reference=case.reference,
            detail={"from": staff.username, "reason": reason},
        )


def reactivate_staff(
    session: Session, *, username: str, data_key: bytes, now: datetime
) -> NewStaff:
    """Let a deactivated account sign in again, as if new (flush only; the caller commits).

    Nothing from before comes back: a new one-time password and a new TOTP seed, both to be
    replaced at the first sign-in, no lockout, no session. A lawyer holds no line key until
    a colleague grants it again, and gets no cases back.
    """
    name = username.strip().lower()
    staff = session.scalars(select(Staff).where(Staff.username == name)).first()
    if staff is None:
        raise StaffError(f"There is no staff member called {name!r}.")
    if staff.active:
        raise StaffError(f"{name} is active; only a deactivated account can be reactivated.")
    staff.active = True
    new = _start_over(session, staff, data_key=data_key, now=now)
    audit.record(session, action="staff.reactivated", now=now, detail={"staff": name})
    return new


def reset_staff(session: Session, *, username: str, data_key: bytes, now: datetime) -> NewStaff:
    """A forgotten password or a lost authenticator: the account starts over (flush only).

    A new one-time password and TOTP seed, every session ended, no lockout. A lawyer's key
    pair and grants go, since nobody can open them without the old password: their browser
    makes a new pair at the next sign-in, and a colleague grants the line key again.
    """
    name = username.strip().lower()
    staff = session.scalars(select(Staff).where(Staff.username == name)).first()
    if staff is None:
        raise StaffError(f"There is no staff member called {name!r}.")
    if not staff.active:
        raise StaffError(f"{name} is deactivated; reactivate the account instead.")
    new = _start_over(session, staff, data_key=data_key, now=now)
    audit.record(session, action="staff.reset", now=now, detail={"staff": name})
    return new


def _start_over(session: Session, staff: Staff, *, data_key: bytes, now: datetime) -> NewStaff:
    one_time_password = passwords.generate_one_time_password()
    seed = totp.new_seed()
    revoke_line_keys(session, staff=staff, now=now)
    staff.public_key = None
    staff.public_key_mac = None
    staff.wrapped_private_key = None
    staff.signing_public_key = None
    staff.signing_key_mac = None
    staff.password_hash = credential_hash(
        one_time_password, username=staff.username, data_key=data_key
    )
    staff.credential_scheme = CredentialScheme.SPLIT_V1
    staff.must_change_password = True
    staff.totp_secret_encrypted = totp.seal_seed(data_key, seed)
    staff.totp_confirmed = False
    staff.totp_last_step = None
    staff.failed_logins = 0
    staff.locked_until = None
    staff.session_epoch += 1
    session.flush()
    return NewStaff(staff, one_time_password, seed)
