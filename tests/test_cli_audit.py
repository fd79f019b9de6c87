"""`flask --app advisory audit verify` and `audit anchor`: one clear line, and an exit code.

Rows are tampered with by raw SQL, as someone with database access would, behind the
application's back.
"""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import select, text

from advisory import audit, create_app
from advisory.extensions import db
from advisory.models import AuditEvent, Notification, Role
from advisory.services.notifications import NotificationKind
from tests.conftest import DEFAULT_NOW
from tests.support.audit_chain import recorded_chain
from tests.test_cli import env_without_secrets

ANCHOR_LINE = re.compile(r"^audit log anchor: (\d+:[0-9a-f]{64})$", re.MULTILINE)


@pytest.fixture
def chain(db_session) -> list[AuditEvent]:
    return recorded_chain(db_session)


def anchor_of(runner) -> str:
    result = runner.invoke(args=["audit", "anchor"])
    assert result.exit_code == 0, result.output
    return ANCHOR_LINE.search(result.output).group(1)


# --- verify ------------------------------------------------------------------------------------


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
    db_session.execute(text("UPDATE audit_event SET detail = :d WHERE seq = 3"), {"d": '{"n":99}'})

    # When the chain is verified
    result = runner.invoke(args=["audit", "verify"])

    # Then the command fails and names exactly that event
    assert result.exit_code == 1
    assert result.output.strip() == (
        "audit chain broken at event 3: its content was changed after it was written"
    )


def test_a_changed_row_whose_hash_was_recomputed_without_the_key_is_caught(
    runner, db_session, chain
):
    # A forger without the key recomputes the row's link as a plain SHA-256: it does not fit.
    db_session.execute(text("UPDATE audit_event SET detail = :d WHERE seq = 3"), {"d": '{"n":99}'})
    forged = hashlib.sha256(b"anything the forger can compute").hexdigest()
    db_session.execute(text("UPDATE audit_event SET hash = :hash WHERE seq = 3"), {"hash": forged})

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert result.output.startswith("audit chain broken at event 3:")


def test_a_removed_row_is_named_by_its_number(runner, db_session, chain):
    db_session.execute(text("DELETE FROM audit_event WHERE seq = 3"))

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert result.output.strip() == "audit chain broken at event 3: event 3 is missing from the log"


def test_a_log_that_still_holds_its_anchors_verifies(runner, db_session, chain):
    first = anchor_of(runner)
    audit.record(db_session, action="case.closed", now=DEFAULT_NOW)
    db_session.commit()
    second = anchor_of(runner)

    result = runner.invoke(args=["audit", "verify", "--anchor", first, "--anchor", second])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "audit chain intact: 6 events; it matches 2 anchor(s)"


def test_cutting_the_tail_after_an_anchor_is_caught(runner, db_session, chain):
    # Given an anchor of the head, and then the newest two events deleted
    anchor = anchor_of(runner)
    db_session.execute(text("DELETE FROM audit_event WHERE seq >= 4"))
    db_session.commit()  # each command ends its session; only committed rows outlive it
    # (without the anchor, nothing shows: what is left is an intact chain)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    result = runner.invoke(args=["audit", "verify", "--anchor", anchor])

    assert result.exit_code == 1
    assert result.output.strip() == (
        "audit log does not match anchor 5: the log ends at event 3: "
        "events up to the anchored one were cut from its end"
    )


def test_an_anchor_that_is_not_seq_colon_digest_is_a_usage_error(runner, db_session, chain):
    result = runner.invoke(args=["audit", "verify", "--anchor", "5:not-a-digest"])

    assert result.exit_code == 2
    assert "an anchor is SEQ:DIGEST" in result.output


# --- anchor ------------------------------------------------------------------------------------


def test_anchor_prints_the_head_and_notes_it_for_the_coordinators(runner, db_session, chain):
    result = runner.invoke(args=["audit", "anchor"])

    assert result.exit_code == 0, result.output
    head = str(audit.head(db_session))
    assert f"audit log anchor: {head}\n" in result.output
    assert f"`flask --app advisory audit verify --anchor {head}`" in result.output
    [note] = db_session.scalars(select(Notification)).all()
    assert (note.kind, note.role, note.staff_id) == (
        NotificationKind.AUDIT_ANCHOR,
        Role.COORDINATOR,
        None,
    )
    assert note.audit_anchor == head


def test_anchoring_the_same_head_again_sends_nothing_new(runner, db_session, chain):
    first = runner.invoke(args=["audit", "anchor"])
    again = runner.invoke(args=["audit", "anchor"])

    assert again.exit_code == 0
    assert ANCHOR_LINE.search(again.output).group(1) == ANCHOR_LINE.search(first.output).group(1)
    assert "sent this anchor before" in again.output
    assert len(db_session.scalars(select(Notification)).all()) == 1


def test_an_empty_log_has_nothing_to_anchor(runner, db_session):
    result = runner.invoke(args=["audit", "anchor"])

    assert result.exit_code == 0
    assert "nothing to anchor" in result.output
    assert db_session.scalars(select(Notification)).all() == []


# --- a fresh installation ----------------------------------------------------------------------


def run_on_a_new_start(env: dict[str, str], args: list[str]):
    """Start the app afresh (it reads whatever secrets exist by then) and run one command."""
    app = create_app(env)
    try:
        return app.test_cli_runner().invoke(args=args)
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.usefixtures("cheap_key_wrapping")
def test_the_events_init_writes_are_keyed_with_the_secrets_it_creates(tmp_path):
    # Given a fresh installation, initialised without any secrets in its environment
    env = env_without_secrets(tmp_path / "instance", tmp_path)
    initialised = run_on_a_new_start(env, ["init"])
    assert initialised.exit_code == 0, initialised.output

    # When the next start of the app, with the secrets init wrote, verifies the log
    verified = run_on_a_new_start(env, ["audit", "verify"])

    # Then the events init wrote are keyed with them
    assert verified.exit_code == 0, verified.output
    assert re.fullmatch(r"audit chain intact: [1-9]\d* events", verified.output.strip())
