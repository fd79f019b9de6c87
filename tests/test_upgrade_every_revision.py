"""Upgrades keep data: a database that holds rows of every table at every earlier revision
upgrades to head with all of them, and its audit chain still verifies.

One pass per database: upgrade to each revision in turn, and write a sample row into every
table that exists there (tests/upgrade_samples.py makes them from the reflected columns); then
upgrade to head and compare every table, value by value, with what was written, changed only
as the migrations meant to change it: the legacy notification keys of 0002, the narrowed and
monthly figures of 0006, the keyed and numbered audit chain of 0008, the credential scheme of
0009, the line settings taken from the environment in 0017, and the first line given the
callback places and figures in 0019 and 0020. A database written at a single revision is also
upgraded to head in one run, as a deployment does it.

Downgrades are not supported and not tested here: an upgrade is the only way a deployment
moves (README, "Upgrades": dump the database first; there is no downgrade).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from advisory import audit, create_app
from advisory.audit import ChainBreak
from advisory.database import MIGRATIONS_DIR
from advisory.extensions import db
from advisory.services.line_settings import texts_from_settings
from tests.conftest import TEST_SECRETS, base_env
from tests.migration_fixture import DATABASES, empty_database_url
from tests.upgrade_samples import (
    DROPPED,
    SKIPPED,
    Samples,
    by_identity,
    revisions_in_order,
    tables_of,
)

SCHEMA = "migration_every_revision_test"
REVISIONS = revisions_in_order(MIGRATIONS_DIR)


@pytest.fixture(params=DATABASES)
def empty_database(request, tmp_path) -> Iterator[str]:
    with empty_database_url(request.param, tmp_path, SCHEMA) as url:
        yield url


@dataclass
class AtHead:
    samples: Samples
    head: dict[str, sa.Table]
    actual: dict[str, dict[object, dict[str, Any]]]  # table -> rows by identity
    expected: dict[str, list[dict[str, Any]]]
    chain_break: ChainBreak | None

    def compared(self) -> Iterator[tuple[str, dict[object, Any], dict[object, Any]]]:
        """Each table at head: its rows, and the rows written to it as the migrations meant
        to change them; both by identity."""
        for name, rows in self.actual.items():
            yield name, rows, by_identity(self.head[name], self.expected.get(name, []))


def written_and_upgraded(tmp_path, database_url: str, stops: Sequence[str]) -> AtHead:
    """Upgrade to each of `stops` in turn writing sample rows there, then to head."""
    app = create_app(base_env(tmp_path, database_url))
    samples = Samples(
        chain_key=audit.chain_key(bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])),
        enums={
            (table.name, column.name): list(column.type.enums)
            for table in db.metadata.tables.values()
            for column in table.columns
            if isinstance(column.type, sa.Enum)
        },
    )
    with app.app_context():
        try:
            for revision in stops:
                upgrade(revision=revision)
                with db.engine.begin() as connection:
                    samples.write(connection, revision)
            upgrade()
            with db.engine.connect() as connection:
                head = tables_of(connection)
                actual = {
                    name: by_identity(table, connection.execute(sa.select(table)).mappings())
                    for name, table in head.items()
                    if name not in SKIPPED
                }
            chain_break = audit.verify_chain(db.session())
            db.session.remove()
        finally:
            db.engine.dispose()
    line_settings = texts_from_settings(app.extensions["advisory_settings"])
    expected = samples.expected_at_head(REVISIONS, head, line_settings)
    return AtHead(samples, head, actual, expected, chain_break)


def test_rows_written_at_every_revision_are_all_there_at_head(tmp_path, empty_database):
    # Given a database written to at every revision on its way to head (the last one is
    # head itself, so that the sample rows are checked against themselves too)
    # When it is upgraded to head
    result = written_and_upgraded(tmp_path, empty_database, REVISIONS)

    # Then every table holds all it was given, and the audit chain verifies
    written = result.samples.tables()
    assert set(result.actual) <= written  # rows were written to every table at head
    assert written - set(result.actual) <= DROPPED  # and no table went, taking its rows
    assert {w.revision for w in result.samples.written} == set(REVISIONS)
    for table, rows, expected in result.compared():
        assert rows == expected, table
    assert result.chain_break is None


# The whole history in one run; and from the keyed audit chain on, through the line settings
# and the per-line rebuilds of the callback places and figures.
@pytest.mark.parametrize("revision", [REVISIONS[0], "0016_attachments"])
def test_a_database_written_at_one_revision_upgrades_in_one_run(tmp_path, empty_database, revision):
    result = written_and_upgraded(tmp_path, empty_database, [revision])

    assert result.samples.written
    for table, rows, expected in result.compared():
        assert rows == expected, table
    assert result.chain_break is None


def test_after_the_migrations_the_apps_connections_enforce_foreign_keys(tmp_path):
    # The migrations turn them off on SQLite; the connection they ran on must not come back
    app = create_app(base_env(tmp_path, f"sqlite:///{tmp_path / 'fk.db'}"))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()
