"""The audit log is a hash chain: any change, removal or fork is caught."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from advisory import audit
from advisory.models import AuditEvent

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def chain(db_session):
    events = [
        audit.record(
            db_session,
            action=f"case.opened.{n}",
            now=T0 + timedelta(minutes=n),
            case_reference="K7QF-9M2X",
            detail={"n": n},
        )
        for n in range(5)
    ]
    db_session.commit()
    return events


def test_intact_chain_verifies(db_session, chain):
    assert audit.verify_chain(db_session) is None
    assert chain[0].prev_hash == audit.GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(chain))


def test_changed_row_is_named_as_the_first_broken_link(db_session, chain):
    # Given an event whose detail is edited behind the application's back
    db_session.execute(
        text("UPDATE audit_event SET detail = :detail WHERE id = :id"),
        {"detail": '{"n":99}', "id": chain[2].id},
    )
    db_session.expire_all()
    # Then verification names exactly that event
    broken = audit.verify_chain(db_session)
    assert broken is not None
    assert broken.event_id == chain[2].id
    assert "changed" in broken.reason


def test_removed_row_breaks_the_link_after_it(db_session, chain):
    db_session.execute(delete(AuditEvent).where(AuditEvent.id == chain[1].id))
    db_session.expire_all()
    broken = audit.verify_chain(db_session)
    assert broken is not None
    assert broken.event_id == chain[2].id
    assert "follow" in broken.reason


def test_rewritten_hash_is_caught_by_the_next_event(db_session, chain):
    # Someone edits a row and recomputes its own hash: the next row no longer follows it.
    event = chain[3]
    event.action = "case.closed"
    event.hash = audit.event_hash(event)
    db_session.flush()
    broken = audit.verify_chain(db_session)
    assert broken is not None
    assert broken.event_id == chain[4].id


def test_two_writers_cannot_fork_the_chain(db_session, chain):
    tail = chain[-1]
    fork = AuditEvent(
        occurred_at=T0,
        action="forked",
        detail="{}",
        prev_hash=tail.prev_hash,  # the same predecessor as an existing event
        hash="f" * 64,
    )
    with db_session.begin_nested():
        db_session.add(fork)
        with pytest.raises(IntegrityError):
            db_session.flush()


def test_events_hold_no_more_than_their_structured_detail(db_session, chain):
    stored = db_session.scalars(select(AuditEvent.detail)).all()
    assert stored == [f'{{"n":{n}}}' for n in range(5)]
