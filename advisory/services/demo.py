"""Demo staff for `make run`: one account per role, ready to sign in, the lawyer holding the key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

import crypto
from advisory.models import Role, Staff
from advisory.services.line_keys import NewLineKey
from advisory.services.reply_signatures import register_signing_key
from advisory.services.staff import NewStaff, add_staff
from advisory.services.staff_keys import KeyPair, replace_key_pair, seal_grants
from crypto import signatures

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
