"""Layered fixtures: database URL → app → db_session (rolled back) → client / runner.

Every test that asks for `app` runs once on SQLite and once on PostgreSQL when
ADVISORY_TEST_DATABASE_URL points at a PostgreSQL database; without it the PostgreSQL
variant is skipped and the run says so at the top and at the bottom.
"""

from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy.orm import Session, scoped_session, sessionmaker

import crypto
from advisory import create_app, passwords
from advisory.extensions import db
from advisory.models import (
    Case,
    Channel,
    ContactPreference,
    Direction,
    Kind,
    Line,
    Message,
    Role,
    Staff,
)
from advisory.services.line_keys import NewLineKey, initialise_line
from advisory.services.sealed_input import KeyDirectory
from advisory.settings import Settings

POSTGRES_ENV = "ADVISORY_TEST_DATABASE_URL"
# Under pytest-xdist every worker gets a database of its own, named after the one configured
# (`test_gw0`, `test_gw1`): tests reset schemas and the workers must not meet there.
_CONFIGURED_POSTGRES_URL = os.environ.get(POSTGRES_ENV, "")


def _worker_url(url: str, worker: str) -> str:
    if not url or not worker:
        return url
    parsed = sa.make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


POSTGRES_URL = _worker_url(_CONFIGURED_POSTGRES_URL, os.environ.get("PYTEST_XDIST_WORKER", ""))
# Fixed, obviously fake secrets: 32 bytes each, hex.
TEST_SECRETS = {
    "ADVISORY_SECRET_KEY": "11" * 32,
    "ADVISORY_PEPPER": "22" * 32,
    "ADVISORY_DATA_KEY": "33" * 32,
}
# The line's time zone.
OSLO = ZoneInfo("Europe/Oslo")
# A Monday inside opening hours (10:00 in Oslo, winter time).
DEFAULT_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason=f"{POSTGRES_ENV} is not set")
# The databases a database fixture runs on: PostgreSQL only where the environment names one.
DATABASES = ["sqlite", pytest.param("postgresql", marks=needs_postgres)]


def pytest_configure(config: pytest.Config) -> None:
    if POSTGRES_URL != _CONFIGURED_POSTGRES_URL:
        _create_database(_CONFIGURED_POSTGRES_URL, sa.make_url(POSTGRES_URL).database or "")


def _create_database(server_url: str, name: str) -> None:
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    engine.dispose()


def pytest_report_header() -> str:
    if POSTGRES_URL:
        return f"database tests: SQLite and PostgreSQL ({_redacted(_CONFIGURED_POSTGRES_URL)})"
    return f"database tests: SQLite only — {POSTGRES_ENV} is not set, PostgreSQL SKIPPED"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not POSTGRES_URL:
        terminalreporter.write_sep(
            "!", f"PostgreSQL tests were SKIPPED: set {POSTGRES_ENV} to run them", red=True
        )


def _redacted(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def base_env(instance_path: Path, database_url: str, **overrides: str) -> dict[str, str]:
    """An environment for `create_app`, isolated from the developer's own variables."""
    env = {
        "ADVISORY_INSTANCE_PATH": str(instance_path),
        "DATABASE_URL": database_url,
        "ADVISORY_SECURE_COOKIES": "false",
        "ADVISORY_ENV": "development",  # demo commands exist; production tests say otherwise
        # Whole test sessions share one app and one address; rate-limit tests set their own.
        "ADVISORY_REPORT_LIMIT": "100000 per hour",
        "ADVISORY_LOOKUP_LIMIT": "100000 per hour",
        "ADVISORY_CALLBACK_LIMIT": "100000 per hour",
        **TEST_SECRETS,
    }
    env.update(overrides)
    return env


# The module's own cost, read before any fixture lowers it.
PRODUCTION_ARGON2 = (passwords.TIME_COST, passwords.MEMORY_COST_KIB, passwords.PARALLELISM)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its smallest cost: the suite hashes many passwords; one test checks the real."""
    monkeypatch.setattr(passwords, "TIME_COST", 1)
    monkeypatch.setattr(passwords, "MEMORY_COST_KIB", 8)
    monkeypatch.setattr(passwords, "PARALLELISM", 1)


@pytest.fixture
def real_kdf_cost() -> None:
    """Ask for this to wrap keys at the production cost where `cheap_key_wrapping` applies."""


@pytest.fixture
def cheap_key_wrapping(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """PBKDF2 at 1 000 iterations for key wrapping (opt in per module with usefixtures)."""
    if "real_kdf_cost" in request.fixturenames:
        return
    cheap = functools.partial(crypto.wrap_private_key, iterations=1_000, allow_weak_for_tests=True)
    monkeypatch.setattr(crypto, "wrap_private_key", cheap)


@pytest.fixture
def real_staff_kdf() -> None:
    """Ask for this where staff keys must be derived at the production cost."""


# The derivation at 1 000 iterations, bound to the real function before any test patches it.
_FAST_STAFF_KDF = functools.partial(
    crypto.derive_staff_credentials, iterations=1_000, allow_weak_for_tests=True
)


@pytest.fixture(autouse=True)
def cheap_staff_kdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """PBKDF2 at 1 000 iterations where a password becomes staff keys, on both sides: the
    server's (a one-time password it makes) and the test client's. Not where a real browser
    signs in (tests/browser), which derives at the real cost, nor in a module that asks for
    `real_staff_kdf`."""
    if "browser" in request.node.path.parts or "real_staff_kdf" in request.fixturenames:
        return
    from tests import staff_credentials

    monkeypatch.setattr(crypto, "derive_staff_credentials", _FAST_STAFF_KDF)
    monkeypatch.setattr(staff_credentials, "credentials_for", _fast_credentials_for)


@functools.cache
def _fast_credentials_for(password: str, username: str) -> crypto.StaffCredentials:
    from tests.staff_credentials import INSTANCE_ID

    return _FAST_STAFF_KDF(password, INSTANCE_ID, username)


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


def _reset_postgres(url: str) -> None:
    """Start from an empty schema so the migrations, not leftovers, define every table."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(base_env(tmp_path_factory.mktemp("instance"), database_url))
    app.config["TESTING"] = True
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
    with app.app_context():
        upgrade()
    yield app
    dispose_apps([app])


def dispose_apps(apps: Iterable[Flask]) -> None:
    """Close the database connections the apps opened (a test's own apps, at its end)."""
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator[scoped_session[Session]]:
    """Each test inside an outer transaction that is rolled back; commits become savepoints.

    No app context stays pushed during the test: requests must get a fresh one each, as in
    production (Flask-Babel, for one, caches the locale on it).
    """
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
    original = db.session
    # What the app remembers of rows (which line a key belongs to) goes with the rollback.
    app.extensions["advisory_key_directory"] = KeyDirectory()
    session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    )
    db.session = session
    try:
        yield session
    finally:
        session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def clock(app: Flask) -> Iterator[list[datetime]]:
    """Set `clock[0]` to move the app's time; restored afterwards."""
    current = [DEFAULT_NOW]
    app.extensions["advisory_clock"] = lambda: current[0]
    yield current
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW


@pytest.fixture
def settings(app: Flask) -> Settings:
    settings: Settings = app.extensions["advisory_settings"]
    return settings


@pytest.fixture
def client(app: Flask, db_session: scoped_session[Session]) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db_session: scoped_session[Session]) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def bare_app(tmp_path: Path) -> Flask:
    """An app with its own empty SQLite file and no database setup, for header and page tests."""
    app = create_app(base_env(tmp_path, f"sqlite:///{tmp_path / 'bare.db'}"))
    app.config["TESTING"] = True
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
    return app


# --- factories ---------------------------------------------------------------------------------


@pytest.fixture
def line(db_session: scoped_session[Session]) -> Line:
    line = Line(slug="test", name="Test line", created_at=DEFAULT_NOW)
    db_session.add(line)
    db_session.flush()
    return line


def set_up_line_key(session: Session) -> NewLineKey:
    """The line and its key, committed so that it survives each request's session teardown."""
    data_key = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
    new = initialise_line(session, now=DEFAULT_NOW, iterations=1000, data_key=data_key)
    session.commit()
    return new


@pytest.fixture
def line_key(db_session: scoped_session[Session]) -> NewLineKey:
    """The default line and its key, committed (see `set_up_line_key`)."""
    return set_up_line_key(db_session)


@pytest.fixture
def lawyer(make_staff, line_key) -> Staff:
    """An enrolled lawyer of the line that has a key (a module may define its own)."""
    return make_staff(
        Role.LAWYER, line_id=line_key.line.id, must_change_password=False, totp_confirmed=True
    )


@pytest.fixture
def make_case(db_session: scoped_session[Session], line: Line) -> Callable[..., Case]:
    """Add and flush a valid case; keyword arguments override any column."""
    numbers = itertools.count(1)

    def make_case(**overrides: Any) -> Case:
        fields = {"line_id": line.id, "reference": f"TEST-{next(numbers):04d}", **overrides}
        case = new_case(**fields)
        db_session.add(case)
        db_session.flush()
        return case

    return make_case


def new_case(line_id: int, **overrides: Any) -> Case:
    """A valid web case of the line, received now and not yet added; `overrides` set any
    column (a reference is needed where the line has more than one case)."""
    fields: dict[str, Any] = {
        "reference": "TEST-0001",
        "line_id": line_id,
        "received_at": DEFAULT_NOW,
        "channel": Channel.WEB,
        "kind": Kind.DISCRIMINATION,
        "contact_preference": ContactPreference.INBOX,
        "priority": 3,
        "callback_due_at": DEFAULT_NOW + timedelta(days=1),
    }
    return Case(**{**fields, **overrides})


def new_message(direction: Direction, envelope: str, **fields: Any) -> Message:
    """A message of `direction` holding `envelope`, written now and not yet added; `fields`
    name its case and set any other column."""
    return Message(direction=direction, envelope=envelope, **{"created_at": DEFAULT_NOW, **fields})


def unusable_staff(role: Role, **fields: Any) -> Staff:
    """A staff row that cannot sign in with a password (tests start its sessions directly)."""
    defaults: dict[str, Any] = {
        "password_hash": "$argon2id$not-a-real-hash",
        "totp_secret_encrypted": "r1.not-a-real-secret",
        "created_at": DEFAULT_NOW,
    }
    return Staff(role=role, **{**defaults, **fields})


@pytest.fixture
def make_staff(db_session: scoped_session[Session], line: Line) -> Callable[..., Staff]:
    """Add and flush a staff member (no usable password); lawyers belong to the test line."""
    numbers = itertools.count(1)

    def make_staff(role: Role = Role.LAWYER, **overrides: Any) -> Staff:
        fields: dict[str, Any] = {
            "username": f"{role.value}-{next(numbers)}",
            "line_id": line.id if role is Role.LAWYER else None,
        }
        staff = unusable_staff(role, **{**fields, **overrides})
        db_session.add(staff)
        db_session.flush()
        return staff

    return make_staff
