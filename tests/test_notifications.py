"""Notifications: each event announced once, addressed to a person or a role, content-free.

Every test runs on each configured database inside a rolled-back transaction.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from advisory.models import CaseDecline, Notification, Role, Staff
from advisory.services.notifications import (
    NotificationKind,
    NotificationNotFound,
    announce_new_case,
    describe,
    mark_read,
    unread_count,
    unread_for,
)
from tests.conftest import DEFAULT_NOW
from tests.support.notices import announce, stored_by_another_writer

REFERENCE = "K7QF-9M2X"


def count_with_key(db_session, key: str) -> int:
    query = sa.select(sa.func.count()).where(Notification.dedupe_key == key)
    return db_session.scalar(query)


def announced(db_session, kind: NotificationKind, key: str, **fields) -> Notification:
    """A new note about the case REFERENCE: `announce`, which must store it."""
    created = announce(db_session, kind, key, case_reference=REFERENCE, **fields)
    assert created is not None
    return created


# --- once per event -----------------------------------------------------------------------------


def test_an_event_is_announced_once(db_session, make_staff):
    lawyer = make_staff(username="lawyer")
    other = make_staff(username="other")

    first = announced(
        db_session, NotificationKind.DEADLINE_AT_RISK, "at-risk:1", staff_id=lawyer.id
    )
    again = announce(
        db_session,
        NotificationKind.DEADLINE_BREACHED,
        "at-risk:1",
        now=DEFAULT_NOW + timedelta(minutes=5),
        staff_id=other.id,
        case_reference="ABCD-EFGH",
    )

    assert first is not None
    assert again is None
    assert count_with_key(db_session, "at-risk:1") == 1
    db_session.expire_all()
    stored = db_session.scalars(sa.select(Notification)).one()
    assert (stored.staff_id, stored.kind, stored.case_reference, stored.created_at) == (
        lawyer.id,
        "deadline_at_risk",
        REFERENCE,
        DEFAULT_NOW,
    )


def test_an_event_announced_by_another_path_is_not_announced_again(db_session):
    stored_by_another_writer(db_session, "deadline_breached", "breached:7")

    result = announce(
        db_session, NotificationKind.DEADLINE_BREACHED, "breached:7", role=Role.COORDINATOR
    )

    assert result is None
    assert count_with_key(db_session, "breached:7") == 1


def test_losing_a_race_returns_none_and_leaves_the_transaction_usable(db_session, make_staff):
    # Given another writer that stored the same event first (its row is there, and this
    # transaction has pending work of its own)
    lawyer = make_staff(username="lawyer")
    stored_by_another_writer(db_session, "capacity_warning", "capacity:3")
    lawyer.failed_logins = 2

    # When this transaction tries to announce it too
    result = announce(
        db_session, NotificationKind.CAPACITY_WARNING, "capacity:3", role=Role.COORDINATOR
    )

    # Then the unique key decided, and everything else in the transaction is intact
    assert result is None
    assert count_with_key(db_session, "capacity:3") == 1
    assert db_session.get(Staff, lawyer.id) is lawyer
    db_session.flush()
    assert db_session.scalar(sa.select(Staff.failed_logins).where(Staff.id == lawyer.id)) == 2
    later = announce(db_session, NotificationKind.CASE_ASSIGNED, "assigned:3", staff_id=lawyer.id)
    assert later is not None
    db_session.flush()
    assert count_with_key(db_session, "assigned:3") == 1


@pytest.mark.parametrize(
    "recipient",
    [{}, {"staff_id": 1, "role": Role.LAWYER}],
    ids=["neither", "both"],
)
def test_a_notification_goes_to_exactly_one_staff_member_or_one_role(db_session, recipient):
    with pytest.raises(ValueError, match="exactly one"):
        announce(db_session, NotificationKind.DEADLINE_AT_RISK, "at-risk:9", **recipient)
    assert count_with_key(db_session, "at-risk:9") == 0


@pytest.mark.parametrize("reference", ["K7QF-9M2", "I was harassed", "+47 912 34 567", ""])
def test_only_a_case_reference_fits_in_the_reference_field(db_session, reference):
    with pytest.raises(ValueError, match="case reference"):
        announce(
            db_session,
            NotificationKind.DEADLINE_AT_RISK,
            "at-risk:10",
            role=Role.LAWYER,
            case_reference=reference,
        )
    assert count_with_key(db_session, "at-risk:10") == 0


# --- who sees what ------------------------------------------------------------------------------


def test_unread_shows_own_and_role_wide_notes_newest_first(db_session, make_staff):
    lawyer = make_staff(username="lawyer")
    colleague = make_staff(username="colleague")
    coordinator = make_staff(Role.COORDINATOR, username="coordinator")

    def note(key: str, minutes: int, **recipient) -> Notification:
        later = DEFAULT_NOW + timedelta(minutes=minutes)
        return announced(
            db_session, NotificationKind.CALLBACK_REMINDER, key, now=later, **recipient
        )

    own = note("own", 1, staff_id=lawyer.id)
    for_lawyers = note("lawyers", 2, role=Role.LAWYER)
    note("colleague's", 3, staff_id=colleague.id)
    note("coordinators", 4, role=Role.COORDINATOR)
    note("coordinator's", 5, staff_id=coordinator.id)
    already_read = note("read", 6, staff_id=lawyer.id)
    already_read.read_at = DEFAULT_NOW + timedelta(minutes=7)
    db_session.flush()

    assert [n.dedupe_key for n in unread_for(db_session, lawyer)] == [
        for_lawyers.dedupe_key,
        own.dedupe_key,
    ]
    assert [n.dedupe_key for n in unread_for(db_session, coordinator)] == [
        "coordinator's",
        "coordinators",
    ]


def test_notes_about_a_case_the_lawyer_declined_are_no_longer_theirs(
    db_session, make_staff, make_case
):
    lawyer = make_staff(username="lawyer")
    colleague = make_staff(username="colleague")
    declined = make_case(reference=REFERENCE)
    db_session.add(CaseDecline(case_id=declined.id, staff_id=lawyer.id, declined_at=DEFAULT_NOW))
    for key, recipient in (("own", {"staff_id": lawyer.id}), ("team", {"role": Role.LAWYER})):
        announced(db_session, NotificationKind.DEADLINE_AT_RISK, key, **recipient)
    db_session.flush()

    assert unread_for(db_session, lawyer) == []
    assert unread_count(db_session, lawyer) == 0
    assert [note.dedupe_key for note in unread_for(db_session, colleague)] == ["team"]
    assert unread_count(db_session, colleague) == 1


def test_reading_a_role_wide_note_marks_it_read_for_the_whole_role(db_session, make_staff):
    lawyer = make_staff(username="lawyer")
    colleague = make_staff(username="colleague")
    shared = announced(db_session, NotificationKind.CALLBACK_MISSED, "missed:1", role=Role.LAWYER)

    read_at = DEFAULT_NOW + timedelta(minutes=3)
    assert mark_read(db_session, shared.id, lawyer, read_at) is shared

    assert shared.read_at == read_at
    assert unread_for(db_session, lawyer) == []
    assert unread_for(db_session, colleague) == []


def test_reading_a_note_again_keeps_the_first_read_time(db_session, make_staff):
    lawyer = make_staff(username="lawyer")
    own = announced(db_session, NotificationKind.CASE_ASSIGNED, "assigned:1", staff_id=lawyer.id)

    mark_read(db_session, own.id, lawyer, DEFAULT_NOW + timedelta(minutes=1))
    mark_read(db_session, own.id, lawyer, DEFAULT_NOW + timedelta(minutes=9))

    db_session.expire_all()
    assert db_session.get(Notification, own.id).read_at == DEFAULT_NOW + timedelta(minutes=1)


def test_nobody_can_mark_another_persons_or_another_roles_note_read(db_session, make_staff):
    lawyer = make_staff(username="lawyer")
    colleague = make_staff(username="colleague")
    coordinator = make_staff(Role.COORDINATOR, username="coordinator")
    own = announce(db_session, NotificationKind.CASE_ASSIGNED, "assigned:2", staff_id=lawyer.id)
    for_coordinators = announce(
        db_session, NotificationKind.DEADLINE_BREACHED, "breached:2", role=Role.COORDINATOR
    )
    assert own is not None
    assert for_coordinators is not None

    for notification_id, staff in [
        (own.id, colleague),
        (own.id, coordinator),
        (for_coordinators.id, lawyer),
        (own.id + for_coordinators.id + 1000, lawyer),
    ]:
        with pytest.raises(NotificationNotFound):
            mark_read(db_session, notification_id, staff, DEFAULT_NOW)

    assert own.read_at is None
    assert for_coordinators.read_at is None


def test_a_new_case_is_announced_to_the_lawyers_once(db_session, make_case):
    case = make_case(reference=REFERENCE)

    assert announce_new_case(db_session, case, DEFAULT_NOW) is True
    assert announce_new_case(db_session, case, DEFAULT_NOW) is False

    [note] = db_session.scalars(sa.select(Notification)).all()
    assert (note.kind, note.role, note.staff_id) == ("new_case", Role.LAWYER, None)
    assert note.case_reference == REFERENCE


# --- what a notification says -------------------------------------------------------------------

SUBJECTS = {
    NotificationKind.DEADLINE_AT_RISK: "Deadline at risk: case K7QF-9M2X",
    NotificationKind.DEADLINE_BREACHED: "Deadline breached: case K7QF-9M2X",
    NotificationKind.CALLBACK_REMINDER: "Callback due soon: case K7QF-9M2X",
    NotificationKind.CALLBACK_MISSED: "Callback missed: case K7QF-9M2X",
    NotificationKind.CALLBACK_ATTEMPTS_EXHAUSTED: "Callback attempts exhausted: case K7QF-9M2X",
    NotificationKind.CAPACITY_WARNING: "Callback capacity warning: case K7QF-9M2X",
    NotificationKind.CASE_ASSIGNED: "Case assigned: case K7QF-9M2X",
    NotificationKind.CALLBACK_UNBOOKED: "Callback could not be booked: case K7QF-9M2X",
    NotificationKind.VOICEMAIL_UNBOOKED: "Voicemail callback could not be booked: case K7QF-9M2X",
    NotificationKind.CASE_TAKEN: "Case taken over by a colleague: case K7QF-9M2X",
    NotificationKind.NEW_CASE: "New case: case K7QF-9M2X",
    NotificationKind.VOICEMAIL_RECORDED_LATE: "Voicemail recorded late: case K7QF-9M2X",
}
ANCHOR = "1234:" + "3f9a" * 16


def test_every_kind_has_a_subject_line():
    assert set(SUBJECTS) | {NotificationKind.AUDIT_ANCHOR} == set(NotificationKind)


@pytest.mark.parametrize(("kind", "subject"), SUBJECTS.items())
def test_a_subject_line_says_the_kind_and_the_reference_only(db_session, kind, subject):
    assert describe(announced(db_session, kind, f"{kind}:1", role=Role.LAWYER)) == subject


def test_a_note_without_a_case_says_only_its_kind():
    note = Notification(kind="capacity_warning", role=Role.COORDINATOR, dedupe_key="x")
    assert describe(note) == "Callback capacity warning"


def test_a_kind_this_version_does_not_know_is_not_echoed():
    note = Notification(kind="free text here", case_reference=REFERENCE, dedupe_key="y")
    assert describe(note) == "Notification: case K7QF-9M2X"


# --- audit log anchors --------------------------------------------------------------------------


def test_an_anchor_note_carries_the_anchor_and_says_what_it_is(db_session):
    created = announce(
        db_session,
        NotificationKind.AUDIT_ANCHOR,
        "audit-anchor:day:2026-11-23",
        role=Role.COORDINATOR,
        audit_anchor=ANCHOR.upper(),
    )

    assert created is not None
    assert created.audit_anchor == ANCHOR  # stored in its one spelling
    assert describe(created) == "Audit log anchor"


@pytest.mark.parametrize(
    ("kind", "anchor"),
    [
        (NotificationKind.AUDIT_ANCHOR, None),  # an anchor note without its anchor
        (NotificationKind.DEADLINE_AT_RISK, ANCHOR),  # an anchor riding on another note
        (NotificationKind.AUDIT_ANCHOR, "1234:the narrative of the case"),  # not SEQ:DIGEST
    ],
)
def test_an_anchor_goes_only_on_an_anchor_note_and_only_as_seq_colon_digest(
    db_session, kind, anchor
):
    with pytest.raises(ValueError, match="anchor"):
        announce(db_session, kind, "x", role=Role.COORDINATOR, audit_anchor=anchor)
    assert db_session.scalars(sa.select(Notification)).all() == []
