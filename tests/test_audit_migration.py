"""Migration 0008 on a database that already holds an audit log in the old, unkeyed format.

The old chain is checked, then every event is numbered and re-linked under the chain key, so
the app verifies it afterwards; a broken old chain, or events without the secrets to key them,
stop the upgrade. Downgrading writes the old format back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from advisory import audit, create_app
from advisory.extensions import db
from tests.conftest import base_env
from tests.migration_fixture import DATABASES, empty_database_url

BEFORE = "0006_stats_monthly"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OLD_EVENTS = [
    ("line_key.created", None, '{"key_id":"0123456789abcdef","replaces":null}'),
    ("case.opened", "K7QF-9M2X", "{}"),
    ("staff.sign_in_failed", None, '{"reason":"password"}'),
    ("case.closed", "K7QF-9M2X", '{"outcome":"advice_given"}'),
]


@pytest.fixture(params=DATABASES)
def empty_database(request, tmp_path) -> Iterator[str]:
    with empty_database_url(request.param, tmp_path, "migration_0008_test") as url:
        yield url


@pytest.fixture
def app_before(tmp_path, empty_database) -> Iterator[Flask]:
    """An app whose database stops at the revision before 0008; disposed afterwards."""
    app = create_app(base_env(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision=BEFORE)
    yield app
    with app.app_context():
        db.engine.dispose()


def old_link(prev_hash: str, at: datetime, action: str, reference: str | None, detail: str) -> str:
    """The unkeyed SHA-256 link written before 0008."""
    fields = [prev_hash, at.isoformat(timespec="microseconds"), None, action, reference, detail]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def write_old_chain(app: Flask, *, tamper: bool = False) -> None:
    prev_hash = audit.GENESIS_HASH
    with app.app_context(), db.engine.begin() as connection:
        for n, (action, reference, detail) in enumerate(OLD_EVENTS):
            at = T0 + timedelta(minutes=n, microseconds=7)
            link = old_link(prev_hash, at, action, reference, detail)
            connection.execute(
                sa.text(
                    "INSERT INTO audit_event (occurred_at, action, case_reference, detail,"
                    " prev_hash, hash) VALUES (:at, :action, :reference, :detail, :prev, :hash)"
                ),
                {
                    "at": at.replace(tzinfo=None),
                    "action": action,
                    "reference": reference,
                    "detail": '{"changed":true}' if tamper and n == 2 else detail,
                    "prev": prev_hash,
                    "hash": link,
                },
            )
            prev_hash = link


def links(app: Flask) -> list[tuple]:
    with app.app_context(), db.engine.connect() as connection:
        query = "SELECT id, prev_hash, hash FROM audit_event ORDER BY id"
        return [tuple(row) for row in connection.execute(sa.text(query))]


@pytest.fixture
def old_links(app_before: Flask) -> list[tuple]:
    """An intact chain written as before the migration: its links."""
    write_old_chain(app_before)
    return links(app_before)


def test_an_old_chain_is_numbered_and_keyed_then_verifies(app_before, old_links):
    with app_before.app_context():
        upgrade()
        session = db.session()
        broken = audit.verify_chain(session)
        numbers = session.scalars(sa.text("SELECT seq FROM audit_event ORDER BY id")).all()
        newest = audit.head(session)

    assert broken is None
    assert numbers == [1, 2, 3, 4]
    assert newest is not None
    assert newest.seq == 4
    assert {row[2] for row in old_links}.isdisjoint(row[2] for row in links(app_before))


def test_downgrading_writes_the_old_unkeyed_chain_back(app_before, old_links):
    with app_before.app_context():
        upgrade()
        downgrade(revision=BEFORE)

    assert links(app_before) == old_links


def test_a_broken_old_chain_stops_the_upgrade(app_before, caplog):
    app = app_before
    write_old_chain(app, tamper=True)

    with app.app_context(), pytest.raises(SystemExit):
        upgrade()  # Flask-Migrate logs the error and exits 1

    assert "the audit chain is broken at event id 3" in caplog.text
    assert all(link is not None for row in links(app) for link in row)  # nothing was changed


def test_events_without_the_secrets_to_key_them_stop_the_upgrade(tmp_path, empty_database, caplog):
    without_secrets = {name: "" for name in ("ADVISORY_SECRET_KEY", "ADVISORY_PEPPER")}
    app = create_app(base_env(tmp_path, empty_database, ADVISORY_DATA_KEY="", **without_secrets))
    try:
        with app.app_context():
            upgrade(revision=BEFORE)
        write_old_chain(app)
        with app.app_context(), pytest.raises(SystemExit):
            upgrade()
    finally:
        with app.app_context():
            db.engine.dispose()

    assert "the audit log has events but the instance secrets are missing" in caplog.text
