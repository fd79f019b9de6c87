"""Demo staff for `make run`: one account per role, ready to sign in, the lawyer holding the key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from advisory.models import Role
from advisory.services.line_keys import NewLineKey, grant_line_key
from advisory.services.staff import NewStaff, add_staff

DEMO_USERNAMES = {
    Role.LAWYER: "demo-lawyer",
    Role.COORDINATOR: "demo-coordinator",
    Role.ADMIN: "demo-admin",
}


def create_demo_staff(
    session: Session,
    *,
    new_key: NewLineKey,
    data_key: bytes,
    now: datetime,
    iterations: int | None = None,
) -> list[NewStaff]:
    created = []
    for role, username in DEMO_USERNAMES.items():
        new = add_staff(session, username=username, role=role, data_key=data_key, now=now)
        # Demo accounts skip the first-sign-in ceremony so a newcomer can look around at once.
        new.staff.must_change_password = False
        new.staff.totp_confirmed = True
        if role is Role.LAWYER:
            grant_line_key(
                session,
                line_key=new_key.line_key,
                private_key=new_key.private_key,
                staff=new.staff,
                passphrase=new.one_time_password,
                now=now,
                iterations=iterations,
            )
        created.append(new)
    session.flush()
    return created


def describe_credentials(created: list[NewStaff]) -> str:
    lines = ["Demo staff (development only):"]
    for new in created:
        lines.append(
            f"  {new.staff.role:<12} username {new.staff.username:<17} "
            f"password {new.one_time_password}  TOTP secret {new.totp_seed}"
        )
    return "\n".join(lines) + "\n"
