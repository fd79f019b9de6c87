"""A new line key, made in the browser of a lawyer who holds the current one.

When a lawyer who held the active line key loses it (deactivated, reset, revoked), the line
is advised to rotate (`Line.rotation_advised_at`): new cases should be sealed to a key that
person never held. A holder's browser makes the new key pair, seals the private half to every
current holder and to the recovery public key, and sends only the public half and the
grants. The server checks that the grants cover exactly the current holders, each sealed to
that holder's public key, then makes the new key active and retires the old one, which the
holders keep for the cases sealed to it. Flush only; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from advisory import audit
from advisory.models import Line, LineKey, Role, Staff, WrapKind, WrappedKey
from advisory.services.line_keys import active_line_key, recovery_key_vouched
from advisory.services.line_membership import lawyer_line_ids, works_on_line
from advisory.services.refusal import Refusal
from advisory.services.staff_keys import vouched_public_key


class RotationError(Refusal):
    """The rotation was refused; `reason` names why. Nothing was changed."""


@dataclass(frozen=True)
class RotationState:
    """What a holder's Colleagues page shows about the line key."""

    line: Line
    active: LineKey
    holders: list[Staff]  # every active lawyer of the line holding the active key
    advised_since: datetime | None
    # Whether the server vouches for the recovery key and for every holder's key: a browser
    # seals the new key to these, so one put in the database by anyone else must stop it.
    recovery_vouched: bool
    holders_vouched: bool


def rotation_states(session: Session, lawyer: Staff, *, data_key: bytes) -> list[RotationState]:
    """The state of each key of the lawyer's lines that they hold."""
    lines = lawyer_line_ids(session, lawyer)  # read once, not again for each line
    states = (_state_of(session, lawyer, line_id, data_key=data_key) for line_id in lines)
    return [state for state in states if state is not None]


def rotation_state(
    session: Session, lawyer: Staff, *, data_key: bytes, line_id: int | None = None
) -> RotationState | None:
    """The key of line `line_id` (default: the lawyer's own line) for a lawyer of the line
    who holds it; None for anyone else."""
    line_id = lawyer.line_id if line_id is None else line_id
    if line_id is None or line_id not in lawyer_line_ids(session, lawyer):
        return None
    return _state_of(session, lawyer, line_id, data_key=data_key)


def _state_of(
    session: Session, lawyer: Staff, line_id: int, *, data_key: bytes
) -> RotationState | None:
    """`rotation_state` of a line already known to be the lawyer's."""
    line = session.get(Line, line_id)
    active = active_line_key(session, line.id) if line is not None else None
    if line is None or active is None:
        return None
    holders = current_holders(session, active)
    if all(holder.id != lawyer.id for holder in holders):
        return None
    return RotationState(
        line,
        active,
        holders,
        line.rotation_advised_at,
        recovery_vouched=recovery_key_vouched(line, data_key=data_key),
        holders_vouched=all(vouched_public_key(h, data_key=data_key) for h in holders),
    )


def current_holders(session: Session, line_key: LineKey) -> list[Staff]:
    """Active lawyers of the key's line with a grant of it (to their own key pair)."""
    return list(
        session.scalars(
            select(Staff)
            .join(WrappedKey, WrappedKey.staff_id == Staff.id)
            .where(
                WrappedKey.line_key_id == line_key.id,
                WrappedKey.kind == WrapKind.GRANT,
                Staff.active.is_(True),
                Staff.role == Role.LAWYER,
                works_on_line(line_key.line_id),
                Staff.public_key.is_not(None),
            )
            .order_by(Staff.username)
        )
    )


def rotate_from_browser(
    session: Session,
    lawyer: Staff,
    *,
    public_key: str,
    grants: Mapping[str, str],
    recovery_grant: str,
    data_key: bytes,
    now: datetime,
    line_id: int | None = None,
) -> LineKey:
    """Make the browser's new key the active key of line `line_id` (default: the lawyer's own
    line), with its grants (flush only).

    `grants` maps each current holder's staff id (as text) to the new key sealed to them.
    """
    line_id = lawyer.line_id if line_id is None else line_id
    if line_id not in lawyer_line_ids(session, lawyer):
        raise RotationError("not_holder")
    # One rotation at a time per line: the second then sees the first's key as the active one.
    session.execute(select(Line.id).where(Line.id == line_id).with_for_update())
    state = _state_of(session, lawyer, line_id, data_key=data_key)  # the line is theirs
    if state is None:
        raise RotationError("not_holder")
    key_id = _checked(session, state, public_key, grants, recovery_grant)
    holders = {str(holder.id): holder for holder in state.holders}

    state.active.retired_at = now
    new_key = LineKey(line_id=state.line.id, key_id=key_id, public_key=public_key, created_at=now)
    session.add(new_key)
    session.flush()
    for staff_id, grant in grants.items():
        session.add(_row(new_key, WrapKind.GRANT, grant, now, staff_id=holders[staff_id].id))
    session.add(_row(new_key, WrapKind.RECOVERY_GRANT, recovery_grant, now))
    state.line.rotation_advised_at = None
    rotated: audit.Detail = {"key_id": key_id, "replaces": state.active.key_id, "in_browser": True}
    audit.record(
        session, action="line_key.rotated", now=now, actor_staff_id=lawyer.id, detail=rotated
    )
    return new_key


def _checked(
    session: Session,
    state: RotationState,
    public_key: str,
    grants: Mapping[str, str],
    recovery_grant: str,
) -> str:
    """The new key's id, once everything sent is addressed to exactly the right keys."""
    if not state.recovery_vouched or state.line.recovery_public_key is None:
        raise RotationError("no_recovery_key")
    if not state.holders_vouched:
        raise RotationError("unvouched_key")
    try:
        new_public = crypto.public_key_from_text(public_key)
        parsed = {staff_id: crypto.parse_grant(text) for staff_id, text in grants.items()}
        recovery = crypto.parse_grant(recovery_grant)
    except crypto.KeyFormatError:
        raise RotationError("bad_grants") from None
    holders = {str(holder.id): holder for holder in state.holders}
    if set(parsed) != set(holders):
        raise RotationError("holders_changed")
    expected = {staff_id: holders[staff_id].public_key or "" for staff_id in parsed}
    expected_recovery = state.line.recovery_public_key
    if any(parsed[staff_id].key_id != _key_id(key) for staff_id, key in expected.items()) or (
        recovery.key_id != _key_id(expected_recovery)
    ):
        raise RotationError("bad_grants")
    key_id = crypto.key_id_for(new_public)
    if session.scalar(select(LineKey.id).where(LineKey.key_id == key_id)) is not None:
        raise RotationError("bad_grants")
    return key_id


def _key_id(public_key_text: str) -> str:
    return crypto.key_id_for(crypto.public_key_from_text(public_key_text))


def _row(
    line_key: LineKey, kind: WrapKind, blob: str, now: datetime, staff_id: int | None = None
) -> WrappedKey:
    return WrappedKey(
        line_key_id=line_key.id, kind=kind, staff_id=staff_id, blob=blob, created_at=now
    )
