"""Adding and listing staff accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from advisory import audit, passwords, totp
from advisory.models import Role, Staff
from advisory.services.line_keys import default_line

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


class StaffError(ValueError):
    """A staff account cannot be created as asked; the message says why."""


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
