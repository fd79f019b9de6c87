"""`flask --app advisory audit verify`: exit 0 on an intact chain, 1 naming the first broken link.

Rows are tampered with by raw SQL, as someone with database access would, behind the
application's back.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from advisory import audit
from advisory.models import AuditEvent
from tests.conftest import DEFAULT_NOW


@pytest.fixture
def chain(db_session) -> list[AuditEvent]:
    events = [
        audit.record(
            db_session,
            action="case.opened",
            now=DEFAULT_NOW + timedelta(minutes=n),
            case_reference="K7QF-9M2X",
            detail={"n": n},
        )
        for n in range(5)
    ]
    db_session.commit()
    return events


def test_an_empty_log_is_intact(runner, db_session):
    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "audit chain intact: 0 events"


def test_an_intact_chain_verifies_and_counts_its_events(runner, db_session, chain):
    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "audit chain intact: 5 events"


def test_a_changed_row_is_named_as_the_first_broken_link(runner, db_session, chain):
    # Given an event whose detail is edited behind the application's back
    db_session.execute(
        text("UPDATE audit_event SET detail = :detail WHERE id = :id"),
        {"detail": '{"n":99}', "id": chain[2].id},
    )
    db_session.expire_all()

    # When the chain is verified
    result = runner.invoke(args=["audit", "verify"])

    # Then the command fails and names exactly that event
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"audit chain broken at event {chain[2].id}: its content was changed after it was written"
    )


def test_a_changed_row_whose_hash_was_recomputed_breaks_the_next_link(runner, db_session, chain):
    # A forger who also rewrites the row's own hash still cannot fix the row after it.
    db_session.execute(
        text("UPDATE audit_event SET detail = :detail WHERE id = :id"),
        {"detail": '{"n":99}', "id": chain[2].id},
    )
    db_session.expire_all()
    forged = db_session.get(AuditEvent, chain[2].id)
    db_session.execute(
        text("UPDATE audit_event SET hash = :hash WHERE id = :id"),
        {"hash": audit.event_hash(forged), "id": forged.id},
    )
    db_session.expire_all()

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert f"audit chain broken at event {chain[3].id}:" in result.output


def test_a_removed_row_is_caught_at_the_event_after_it(runner, db_session, chain):
    middle, following = chain[2].id, chain[3].id
    db_session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": middle})
    db_session.expire_all()

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert result.output.strip() == (
        f"audit chain broken at event {following}: does not follow the event before it"
    )
