"""Alembic environment: migrations run against the app's own engine and metadata.

Logging is left to the host (app, gunicorn, pytest): Alembic's usual fileConfig() call would
replace their handlers, so it is deliberately absent.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from flask import current_app

import advisory.models  # noqa: F401  (registers every table on the metadata)
from advisory.database import include_in_autogenerate
from advisory.extensions import db
from advisory.services.line_settings import texts_from_settings

logger = logging.getLogger("alembic.env")
config = context.config
target_metadata = db.metadata
configure_args = current_app.extensions["migrate"].configure_args
# What a line that predates line settings takes from the deployment's configuration (0017).
config.attributes.setdefault(
    "line_settings", texts_from_settings(current_app.extensions["advisory_settings"])
)


def run_migrations_offline() -> None:
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        **configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


@contextmanager
def foreign_keys_off_on_sqlite(connection) -> Iterator[None]:  # noqa: ANN001
    """SQLite rebuilds a table to alter it (copy, drop, rename). With foreign keys on, the drop
    deletes every row that refers to the table (ON DELETE CASCADE: a case's messages and
    callbacks) or fails. So they are off while migrations run, and checked once they ran.

    The pragma has no effect inside a transaction: it goes to the connection before BEGIN.
    Afterwards the connection is discarded, not handed back to the pool with the pragma off;
    the next one is opened with foreign keys on (advisory/database.py)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migrations left rows pointing at nothing: {broken[:5]}")
    finally:
        connection.invalidate()


def run_migrations_online() -> None:
    def skip_empty_autogenerate(context, revision, directives):  # noqa: ANN001
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    with db.engine.connect() as connection, foreign_keys_off_on_sqlite(connection):
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            process_revision_directives=skip_empty_autogenerate,
            include_object=include_in_autogenerate,
            **configure_args,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
