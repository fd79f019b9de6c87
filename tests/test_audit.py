"""The audit log is a keyed, numbered chain: any change, removal, fork or rewrite is caught.

Rows are tampered with by raw SQL, as someone with database access but without the instance's
secrets would, behind the application's back.
"""

import hashlib
import itertools
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from advisory import audit
from advisory.audit import Anchor
from advisory.models import AuditEvent
from tests.conftest import TEST_SECRETS
from tests.support.audit_chain import recorded_chain

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CHAIN_KEY = audit.chain_key(bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"]))


@pytest.fixture
def chain(db_session) -> list[AuditEvent]:
    return recorded_chain(db_session)


def rows(db_session) -> list[AuditEvent]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def relink(db_session, events: list[AuditEvent], link) -> None:
    """Rewrite every link from the first of `events` on, with `link(prev_hash, event)`."""
    prev_hash = events[0].prev_hash
    for event in events:
        event.prev_hash = prev_hash
        event.hash = link(prev_hash, event)
        prev_hash = event.hash
    db_session.flush()
    db_session.expire_all()


def plain_sha256(prev_hash: str, event: AuditEvent) -> str:
    """The unkeyed link of earlier versions: what a forger without the key can compute."""
    fields = [
        prev_hash,
        event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        event.actor_staff_id,
        event.action,
        event.case_reference,
        event.detail,
    ]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


# --- appending ---------------------------------------------------------------------------------


def test_committed_events_are_numbered_from_one_and_linked_in_order(db_session, chain):
    stored = rows(db_session)

    assert [event.seq for event in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hash == audit.GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(stored))
    assert all(event.hash == audit.event_mac(CHAIN_KEY, event) for event in stored)
    assert audit.verify_chain(db_session) is None


def test_an_event_gets_its_number_and_link_when_its_transaction_commits(db_session, chain):
    event = audit.record(db_session, action="case.taken", now=T0)
    assert (event.seq, event.prev_hash, event.hash) == (None, None, None)

    db_session.commit()

    assert event.seq == 6
    assert event.prev_hash == chain[-1].hash


def test_a_rolled_back_action_leaves_no_gap(db_session, chain):
    audit.record(db_session, action="case.taken", now=T0)
    db_session.rollback()
    audit.record(db_session, action="case.closed", now=T0)
    db_session.commit()

    assert [event.seq for event in rows(db_session)] == [1, 2, 3, 4, 5, 6]
    assert audit.verify_chain(db_session) is None


def test_events_inside_a_savepoint_are_linked_with_the_whole_transaction(db_session, chain):
    with db_session.begin_nested():
        inner = audit.record(db_session, action="case.taken", now=T0)
    assert inner.seq is None  # a savepoint is not the end of the transaction
    after = audit.record(db_session, action="case.closed", now=T0)

    db_session.commit()

    assert (inner.seq, after.seq) == (6, 7)
    assert audit.verify_chain(db_session) is None


def test_without_a_chain_key_an_event_cannot_be_committed(app, db_session, monkeypatch):
    engine = db_session.connection().engine
    monkeypatch.delitem(audit._chain_keys, engine)
    audit.record(db_session, action="case.taken", now=T0)

    with pytest.raises(audit.ChainKeyMissing):
        db_session.commit()
    db_session.rollback()


def test_two_writers_cannot_fork_the_chain(db_session, chain):
    tail = chain[-1]
    for forged in (
        {"prev_hash": tail.prev_hash, "hash": "f" * 64, "seq": 99},  # a second successor
        {"prev_hash": "e" * 64, "hash": "f" * 64, "seq": tail.seq},  # a second number 5
    ):
        with db_session.begin_nested():
            db_session.add(AuditEvent(occurred_at=T0, action="forked", detail="{}", **forged))
            with pytest.raises(IntegrityError):
                db_session.flush()


def test_a_row_is_linked_whole_or_not_at_all(db_session, chain):
    with db_session.begin_nested():
        db_session.add(AuditEvent(occurred_at=T0, action="half", detail="{}", seq=6))
        with pytest.raises(IntegrityError):
            db_session.flush()


def test_events_hold_no_more_than_their_structured_detail(db_session, chain):
    stored = db_session.scalars(select(AuditEvent.detail).order_by(AuditEvent.seq)).all()
    assert stored == [f'{{"n":{n}}}' for n in range(5)]


# --- tampering ---------------------------------------------------------------------------------


def test_a_changed_row_is_named_as_the_first_broken_link(db_session, chain):
    db_session.execute(
        text("UPDATE audit_event SET detail = :detail WHERE seq = 3"), {"detail": '{"n":99}'}
    )
    db_session.expire_all()

    broken = audit.verify_chain(db_session)

    assert broken == audit.ChainBreak("event 3", "its content was changed after it was written")


def test_a_removed_middle_event_is_named_by_its_number(db_session, chain):
    db_session.execute(text("DELETE FROM audit_event WHERE seq = 3"))
    db_session.expire_all()

    broken = audit.verify_chain(db_session)

    assert broken == audit.ChainBreak("event 3", "event 3 is missing from the log")


def test_a_chain_rewritten_with_recomputed_plain_sha256_links_is_caught(db_session, chain):
    # Given a forger who edits event 3 and recomputes every link the way earlier versions did
    genuine = [event.hash for event in rows(db_session)]
    db_session.execute(text("UPDATE audit_event SET action = 'case.closed' WHERE seq = 3"))
    relink(db_session, rows(db_session), plain_sha256)

    broken = audit.verify_chain(db_session)

    # Then no link holds, from the very first event on
    assert broken is not None
    assert broken.where == "event 1"
    assert all(event.hash not in genuine for event in rows(db_session))


def test_a_chain_recomputed_under_another_key_is_caught(db_session, chain):
    wrong_key = audit.chain_key(b"\x44" * 32)
    db_session.execute(text("UPDATE audit_event SET action = 'case.closed' WHERE seq = 3"))
    stored = rows(db_session)
    relink(db_session, stored[2:], lambda prev, event: audit.event_mac(wrong_key, event))

    broken = audit.verify_chain(db_session)

    assert broken == audit.ChainBreak("event 3", "its content was changed after it was written")


def test_the_genuine_chain_does_not_verify_under_another_key(db_session, chain):
    broken = audit.verify_chain(db_session, key=audit.chain_key(b"\x44" * 32))

    assert broken is not None
    assert broken.where == "event 1"


def test_a_row_slipped_in_without_a_link_is_caught(db_session, chain):
    db_session.execute(
        text(
            "INSERT INTO audit_event (occurred_at, action, detail) "
            "VALUES (:at, 'case.opened', '{}')"
        ),
        {"at": T0.replace(tzinfo=None)},
    )
    slipped = db_session.scalar(select(AuditEvent.id).where(AuditEvent.seq.is_(None)))

    broken = audit.verify_chain(db_session)

    assert broken == audit.ChainBreak(f"row {slipped}", "it was never linked into the chain")


# --- anchors -----------------------------------------------------------------------------------


def test_the_head_is_the_newest_event_as_an_anchor(db_session, chain):
    newest = rows(db_session)[-1]

    assert audit.head(db_session) == Anchor(5, newest.hash)
    assert str(audit.head(db_session)) == f"5:{newest.hash}"


def test_an_empty_log_has_no_head(db_session):
    assert audit.head(db_session) is None


def test_an_anchor_reads_back_from_its_text():
    anchor = Anchor(1234, "3f9a" * 16)
    assert Anchor.parse(str(anchor)) == anchor
    assert Anchor.parse(f"  1234:{'3F9A' * 16} ") == anchor


@pytest.mark.parametrize(
    "text_",
    ["", "1234", f"x:{'a' * 64}", f"0:{'a' * 64}", f"-1:{'a' * 64}", "1:" + "a" * 63]
    + ["1:" + "g" * 64, f"{2**63}:{'a' * 64}", f"1:{'a' * 64}:extra", f"1 :{'a' * 64}"]
    + [f"\u0661:{'a' * 64}"],  # a digit, but not an ASCII one
)
def test_anything_but_seq_colon_64_hex_digits_is_not_an_anchor(text_):
    with pytest.raises(ValueError, match="SEQ:DIGEST"):
        Anchor.parse(text_)


def test_the_log_as_anchored_matches_its_anchor(db_session, chain):
    anchor = audit.head(db_session)
    audit.record(db_session, action="case.closed", now=T0)
    db_session.commit()

    assert audit.check_anchor(db_session, anchor) is None


def test_a_tail_cut_back_past_an_anchor_is_caught(db_session, chain):
    anchor = audit.head(db_session)
    db_session.execute(text("DELETE FROM audit_event WHERE seq >= 4"))

    # The chain that is left is intact: only the anchor shows what is gone
    assert audit.verify_chain(db_session) is None
    assert audit.check_anchor(db_session, anchor) == (
        "the log ends at event 3: events up to the anchored one were cut from its end"
    )


def test_a_log_rewritten_with_the_key_no_longer_matches_its_anchor(db_session, chain):
    # Someone holding the key rewrites event 2 and every link after it
    anchor = audit.head(db_session)
    db_session.execute(text("UPDATE audit_event SET action = 'case.closed' WHERE seq = 2"))
    stored = rows(db_session)
    relink(db_session, stored[1:], lambda prev, event: audit.event_mac(CHAIN_KEY, event))

    assert audit.verify_chain(db_session) is None
    assert audit.check_anchor(db_session, anchor) == (
        "event 5 is not the one anchored: the log was rewritten"
    )
