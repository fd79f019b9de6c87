"""Demo staff and lines for `make run`: one account per role, ready to sign in, the lawyer
holding the key; and a second, Swedish line with other hours and a lawyer of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

import crypto
from advisory.models import Line, Role, Staff
from advisory.services.line_keys import NewLineKey, start_line_key
from advisory.services.line_settings import add_line, change_line
from advisory.services.reply_signatures import register_signing_key
from advisory.services.staff import NewStaff, add_staff
from advisory.services.staff_keys import KeyPair, replace_key_pair, seal_grants
from advisory.services.staff_lines import give_lines
from crypto import signatures

DEMO_USERNAMES = {
    Role.LAWYER: "demo-lawyer",
    Role.COORDINATOR: "demo-coordinator",
    Role.ADMIN: "demo-admin",
}
FIRST_LINE = {
    "name": "Kulturlinja",
    "description": "Scene, film, visuell kunst og litteratur i Norge.",
}
SWEDISH_SLUG = "musikk"
SWEDISH_LAWYER = "demo-lawyer-musikk"
# The Swedish line opens later and closes earlier, and not on Fridays.
SWEDISH_LINE = {
    "name": "Musiklinjen",
    "description": "Musiklivet i Sverige.",
    "weekly_hours": "mon=10:00-15:00; tue=10:00-15:00; wed=10:00-15:00; thu=10:00-15:00",
}


def create_demo_staff(
    session: Session,
    *,
    new_key: NewLineKey,
    data_key: bytes,
    now: datetime,
) -> list[NewStaff]:
    created = []
    for role, username in DEMO_USERNAMES.items():
        new = add_staff(session, username=username, role=role, data_key=data_key, now=now)
        # Demo accounts skip the first-sign-in ceremony so a newcomer can look around at once.
        new.staff.must_change_password = False
        new.staff.totp_confirmed = True
        if role is Role.LAWYER:
            _enrol_lawyer(session, new, new_key=new_key, data_key=data_key, now=now)
        created.append(new)
    session.flush()
    return created


def create_demo_line(
    session: Session,
    *,
    first_line: Line,
    texts: Mapping[str, str],
    data_key: bytes,
    now: datetime,
    shared_with: Sequence[Staff] = (),
) -> tuple[NewLineKey, NewStaff]:
    """Name the first line, and add the Swedish demo line (`texts`: a Swedish line's settings)
    with its own key and an enrolled lawyer holding it; its key and the lawyer's credentials.
    The lawyers `shared_with` (of the first line) work on both lines and hold both keys."""
    change_line(session, first_line, FIRST_LINE, now=now)
    line = add_line(session, slug=SWEDISH_SLUG, texts={**texts, **SWEDISH_LINE}, now=now)
    new_key = start_line_key(session, line, now=now, data_key=data_key)
    new = add_staff(
        session,
        username=SWEDISH_LAWYER,
        role=Role.LAWYER,
        data_key=data_key,
        now=now,
        line_id=line.id,
    )
    new.staff.must_change_password = False
    new.staff.totp_confirmed = True
    _enrol_lawyer(session, new, new_key=new_key, data_key=data_key, now=now)
    for lawyer in shared_with:
        give_lines(session, lawyer, [first_line.id, line.id], now=now)
        seal_grants(
            session, lawyer, [(new_key.line_key, new_key.private_key)], data_key=data_key, now=now
        )
    session.flush()
    return new_key, new


def _enrol_lawyer(
    session: Session, new: NewStaff, *, new_key: NewLineKey, data_key: bytes, now: datetime
) -> None:
    """What the demo lawyer's browser would do at enrolment, done here for the demo only:
    a key pair wrapped under their password's wrapping key, and the line key granted to it."""
    staff: Staff = new.staff
    credentials = crypto.derive_staff_credentials(
        new.one_time_password, crypto.instance_id(data_key), staff.username
    )
    private_key = crypto.generate_keypair()
    pair = KeyPair(
        public_key=crypto.public_key_to_text(private_key.public_key()),
        wrapped_private_key=crypto.wrap_staff_private_key(
            private_key, credentials.wrap_key, staff.id
        ),
    )
    replace_key_pair(session, staff, pair, data_key=data_key, now=now)
    signing = signatures.signing_public_key_text(signatures.signing_key_for(private_key))
    register_signing_key(staff, signing, data_key=data_key)
    seal_grants(
        session, staff, [(new_key.line_key, new_key.private_key)], data_key=data_key, now=now
    )


def describe_credentials(created: list[NewStaff]) -> str:
    lines = ["Demo staff (development only):"]
    for new in created:
        lines.append(
            f"  {new.staff.role:<12} username {new.staff.username:<17} "
            f"password {new.one_time_password}  TOTP secret {new.totp_seed}"
        )
    return "\n".join(lines) + "\n"
