"""Binds SQLAlchemy and migrations; tunes SQLite so it behaves like a real database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from flask import Flask, current_app, g, request
from sqlalchemy import Engine, event

from advisory import audit
from advisory.extensions import db, migrate
from advisory.instance_files import prepare_instance_files
from advisory.settings import PROJECT_ROOT, Settings

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
# Whether the work in this context will write. On SQLite a deferred transaction that reads
# first and writes later is refused outright ("database is locked") when another writer
# committed in between; such work must take the write lock when it begins.
_writes_expected: ContextVar[bool] = ContextVar("writes_expected", default=False)


@contextmanager
def expecting_writes() -> Iterator[None]:
    """Transactions begun inside take SQLite's write lock at once (BEGIN IMMEDIATE)."""
    token = _writes_expected.set(True)
    try:
        yield
    finally:
        _writes_expected.reset(token)


View = TypeVar("View", bound=Callable[..., Any])


def writes_on_get(view: View) -> View:
    """Mark a GET view that writes (an audit event, say), so it too begins with the write lock."""
    view.writes_on_get = True  # type: ignore[attr-defined]
    return view


# APScheduler's job store table: created by our migrations, described by APScheduler itself.
JOBSTORE_TABLE = "apscheduler_jobs"


def include_in_autogenerate(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic filter: tables owned by a library are not compared against our models."""
    return not (type_ == "table" and name == JOBSTORE_TABLE)


def register_database(app: Flask, settings: Settings) -> None:
    url = settings.database_url
    # How many instance files start-up found readable by others: `doctor` names them.
    app.extensions["advisory_instance_tightened"] = prepare_instance_files(
        settings.instance_path, url
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "pool_pre_ping": not url.startswith("sqlite"),
        # Errors must not quote bound values: they can be envelopes, and errors get logged.
        "hide_parameters": True,
    }
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            tune_sqlite(db.engine)
        if settings.secrets is not None:  # else `flask init` registers it once it has them
            audit.use_chain_key(db.engine, settings.secrets.data_key)
    app.before_request(_expect_writes_for_unsafe_methods)
    app.teardown_request(_forget_write_intent)


def _expect_writes_for_unsafe_methods() -> None:
    # Only a flag for this request; nothing is written here. Reset at teardown, because a
    # server thread (or a test) may run the next request in the same context.
    view = current_app.view_functions.get(request.endpoint or "")
    writes = request.method not in ("GET", "HEAD", "OPTIONS") or getattr(
        view, "writes_on_get", False
    )
    g.write_intent_token = _writes_expected.set(writes)


def _forget_write_intent(_error: BaseException | None) -> None:
    token = g.pop("write_intent_token", None)
    if token is not None:
        _writes_expected.reset(token)


def tune_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and transactions SQLAlchemy really controls.

    pysqlite starts transactions lazily on its own, which breaks SAVEPOINT and makes
    "BEGIN ... COMMIT" boundaries unclear; the documented remedy is to switch its own
    handling off and emit BEGIN ourselves.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writes_expected.get() else "BEGIN")
