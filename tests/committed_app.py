"""An app on a database of its own whose rows are really committed, for parallel requests.

The `db_session` fixture keeps a test inside one rolled-back transaction on one connection;
requests sent at the same time from several threads each need their own connection and must
see each other's commits. `committed_app` builds the schema from the migrations in a fresh
SQLite file, or in a schema of its own in the PostgreSQL test database (dropped afterwards).
Import the fixture into a test module to use it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import TypeVar, cast

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from advisory import create_app
from advisory.auth import sessions
from advisory.extensions import db
from advisory.models import Line
from tests.conftest import DEFAULT_NOW, POSTGRES_ENV, POSTGRES_URL, TEST_SECRETS, base_env
from tests.coordinator_fixture import postgres_schema

SECRET_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"])
DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
T = TypeVar("T")


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """A migrated app on an empty database; `app.extensions["test_clock"][0]` is its time."""
    database: AbstractContextManager[str]
    if request.param == "sqlite":
        database = nullcontext(f"sqlite:///{tmp_path / 'committed.db'}")
    elif not POSTGRES_URL:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    else:
        database = postgres_schema(f"committed_{request.node.originalname}"[:60])
    with database as url:
        app = create_app(base_env(tmp_path / "instance", url))
        clock = [DEFAULT_NOW]
        app.extensions["test_clock"] = clock
        app.extensions["advisory_clock"] = lambda: clock[0]
        with app.app_context():
            upgrade()
            db.session.add(Line(slug="test", name="Test line", created_at=DEFAULT_NOW))
            db.session.commit()
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


def set_clock(app: Flask, moment: datetime) -> None:
    app.extensions["test_clock"][0] = moment


def signed_in_client(app: Flask, staff_id: int, session_epoch: int = 0) -> FlaskClient:
    """A client carrying a staff session, as after a full sign-in."""
    client = app.test_client()
    started = sessions.start_session(staff_id, session_epoch, DEFAULT_NOW, enrolling=False)
    client.set_cookie(sessions.COOKIE_NAME, sessions.encode(SECRET_KEY, started))
    return client


def sign_in_form(client: FlaskClient) -> str:
    """Load the sign-in page, as a browser does before posting; returns its CSRF token."""
    page = client.get("/staff/login").get_data(as_text=True)
    match = TOKEN.search(page)
    assert match is not None
    return match.group(1)


def in_parallel(jobs: list[Callable[[], T]], timeout: float = 60) -> list[T]:
    """Start every job at the same moment, each on its own thread; their results in order."""
    results: list[T | None] = [None] * len(jobs)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except BaseException as exc:  # noqa: BLE001  (reported below, in the test's thread)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    if errors:
        raise errors[0]
    return cast(list[T], results)
