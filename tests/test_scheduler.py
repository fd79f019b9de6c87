"""The scheduler: a transaction per sweep, one scheduler per deployment, a content-free job store,
and every notification sent exactly once even when the scheduler process is killed mid-sweep.

These tests commit and crash for real, so each gets a database of its own (`own_app`): a fresh
SQLite file, and on PostgreSQL (when ADVISORY_TEST_DATABASE_URL is set) a schema of its own in
that database, dropped afterwards. PostgreSQL advisory locks are database-wide, so each test uses
a lock key of its own and cannot meet another test run's scheduler.
"""

from __future__ import annotations

import logging
import os
import pickle
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from advisory import create_app, scheduler, scheduler_lock
from advisory.database import JOBSTORE_TABLE, tune_sqlite
from advisory.extensions import db
from advisory.jobs import SWEEPS
from advisory.models import (
    Callback,
    CallbackStatus,
    Case,
    Line,
    Notification,
    Role,
    SchedulerLock,
    Staff,
)
from advisory.scheduler import SchedulerBusy, SchedulerService, run_all_sweeps_once, run_sweep_in
from advisory.scheduler_lock import HeartbeatRowLock, PostgresAdvisoryLock, lock_for
from advisory.services.callbacks import book_callback
from advisory.services.deadline_watch import watch_deadlines
from advisory.services.notifications import NotificationKind
from advisory.settings import PROJECT_ROOT
from tests.conftest import (
    DEFAULT_NOW,
    OSLO,
    POSTGRES_URL,
    base_env,
    dispose_apps,
    needs_postgres,
    new_case,
    unusable_staff,
)

T0 = DEFAULT_NOW  # Monday 23 November 2026, 10:00 in Oslo
STALE_AFTER = timedelta(minutes=3)  # three ticks of the default 60 s
LATER = T0 + timedelta(minutes=4)  # past STALE_AFTER: a dead holder's heartbeat is stale
ENVELOPE = "v1.0123456789abcdef.c2VhbGVkLXBob25lLW51bWJlcg"
SWEEP_PROCESS = Path(__file__).parent / "support" / "sweep_process.py"
WAIT_SECONDS = 15.0


def oslo(day: str, wall_clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{wall_clock}").replace(tzinfo=OSLO)


# --- fixtures: a database and an app of the test's own ----------------------------------------


@pytest.fixture
def private_lock_key(monkeypatch: pytest.MonkeyPatch) -> int:
    key = random.randrange(1, 2**62)
    monkeypatch.setattr(scheduler_lock, "POSTGRES_LOCK_KEY", key)
    return key


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=needs_postgres)],
)
def own_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'own.db'}"
        return
    request.getfixturevalue("private_lock_key")
    schema = f"scheduler_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def make_app(own_database: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Apps on the test's own, migrated database; the clock stands at T0."""
    apps: list[Flask] = []

    def make_app(**env: str) -> Flask:
        app = create_app(base_env(tmp_path / "instance", own_database, **env))
        set_clock(app, T0)
        with app.app_context():
            upgrade()
        apps.append(app)
        return app

    yield make_app
    dispose_apps(apps)


@pytest.fixture
def own_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


def set_clock(app: Flask, moment: datetime) -> None:
    app.extensions["advisory_clock"] = lambda: moment


def is_sqlite(app: Flask) -> bool:
    return app.extensions["advisory_settings"].database_url.startswith("sqlite")


def committed_notes(app: Flask) -> Counter[tuple[str, str | None]]:
    """(kind, case reference) of every notification, read over a connection of its own."""
    engine = sa.create_engine(app.extensions["advisory_settings"].database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(Notification.kind, Notification.case_reference))
            return Counter((kind, reference) for kind, reference in rows)
    finally:
        engine.dispose()


# --- seeding ------------------------------------------------------------------------------------


def add_case(session: Any, line: Line, reference: str, due: datetime, **fields: Any) -> Case:
    case = new_case(
        line.id,
        reference=reference,
        received_at=due - timedelta(days=1),
        callback_due_at=due,
        **fields,
    )
    session.add(case)
    session.flush()
    return case


def add_line_and_lawyer(session: Any) -> tuple[Line, Staff]:
    line = Line(slug="own", name="Own line", created_at=T0)
    session.add(line)
    session.flush()
    lawyer = unusable_staff(Role.LAWYER, username="lawyer", line_id=line.id, created_at=T0)
    session.add(lawyer)
    session.flush()
    return line, lawyer


def seed_case_at_risk(app: Flask) -> str:
    with app.app_context():
        line, _ = add_line_and_lawyer(db.session)
        add_case(db.session, line, "RISK-0001", oslo("2026-11-23", "11:00"))
        db.session.commit()
    return "RISK-0001"


def seed_events(app: Flask) -> Counter[tuple[str, str | None]]:
    """Committed state that calls for five notifications at T0; returns them."""
    with app.app_context():
        session = db.session
        line, lawyer = add_line_and_lawyer(session)
        # At risk (due within 2 opening hours): unassigned, and assigned
        add_case(session, line, "RISK-000A", oslo("2026-11-23", "11:00"))
        add_case(
            session, line, "RISK-000B", oslo("2026-11-23", "11:30"), assigned_lawyer_id=lawyer.id
        )
        # Breached: due last Friday, and due half an hour ago, neither answered
        add_case(session, line, "LATE-000C", oslo("2026-11-20", "15:00"))
        add_case(session, line, "LATE-000D", oslo("2026-11-23", "09:30"))
        # A callback in the 09:00-09:30 slot that nobody marked done: missed at T0
        waiting = add_case(session, line, "CALL-000E", oslo("2026-11-24", "10:00"))
        book_callback(
            session,
            case=waiting,
            now=T0 - timedelta(days=1),
            contact_envelope=ENVELOPE,
            slot_start=oslo("2026-11-23", "09:00"),
        )
        session.commit()
    return Counter(
        {
            (NotificationKind.DEADLINE_AT_RISK, "RISK-000A"): 1,
            (NotificationKind.DEADLINE_AT_RISK, "RISK-000B"): 1,
            (NotificationKind.DEADLINE_BREACHED, "LATE-000C"): 1,
            (NotificationKind.DEADLINE_BREACHED, "LATE-000D"): 1,
            (NotificationKind.CALLBACK_MISSED, "CALL-000E"): 1,
        }
    )


# --- one transaction per sweep ------------------------------------------------------------------


def test_a_sweep_commits_its_work(own_app):
    reference = seed_case_at_risk(own_app)

    assert run_sweep_in(own_app, "deadlines") == 1

    assert committed_notes(own_app) == Counter({(NotificationKind.DEADLINE_AT_RISK, reference): 1})


def test_a_failing_sweep_is_rolled_back_logged_and_retried_at_the_next_run(
    own_app, monkeypatch, caplog
):
    reference = seed_case_at_risk(own_app)

    def notes_then_fails(session, settings, now):
        watch_deadlines(session, settings, now)
        raise RuntimeError("the sweep broke half-way")

    # Given a sweep that fails after it wrote a notification
    monkeypatch.setitem(scheduler.SWEEPS, "deadlines", notes_then_fails)

    # When it runs, it reports nothing changed, logs the failure and keeps nothing
    assert run_sweep_in(own_app, "deadlines") == 0
    [error] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert error.name == "advisory.scheduler"
    assert "deadlines" in error.getMessage()
    assert error.exc_text is not None
    assert "RuntimeError" in error.exc_text  # type and code locations kept, message withheld
    assert "RuntimeError: (exception message withheld" in error.exc_text
    assert committed_notes(own_app) == Counter()

    # And the next run of the working sweep does the work
    monkeypatch.setitem(scheduler.SWEEPS, "deadlines", watch_deadlines)
    assert run_sweep_in(own_app, "deadlines") == 1
    assert committed_notes(own_app) == Counter({(NotificationKind.DEADLINE_AT_RISK, reference): 1})


# --- the lock: SQLite heartbeat row -------------------------------------------------------------


@pytest.fixture
def two_engines(tmp_path: Path) -> Iterator[tuple[sa.Engine, sa.Engine]]:
    """Two engines on one SQLite file: two scheduler processes of one deployment."""
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    first, second = sa.create_engine(url), sa.create_engine(url)
    for engine in (first, second):
        tune_sqlite(engine)
    SchedulerLock.__table__.create(first)
    yield first, second
    first.dispose()
    second.dispose()


def test_only_one_heartbeat_lock_holder_at_a_time(two_engines):
    first = HeartbeatRowLock(two_engines[0], stale_after=STALE_AFTER)
    second = HeartbeatRowLock(two_engines[1], stale_after=STALE_AFTER)

    assert first.acquire(T0)
    assert not second.acquire(T0)
    assert not second.acquire(T0 + STALE_AFTER)  # not older than stale_after yet
    assert first.renew(T0 + timedelta(minutes=2))
    assert first.acquire(T0 + timedelta(minutes=2))  # the holder may ask again
    assert not second.acquire(T0 + timedelta(minutes=4))  # the heartbeat was renewed
    assert not second.renew(T0 + timedelta(minutes=4))


def test_a_heartbeat_lock_whose_holder_stopped_is_taken_over(two_engines):
    first = HeartbeatRowLock(two_engines[0], stale_after=STALE_AFTER)
    second = HeartbeatRowLock(two_engines[1], stale_after=STALE_AFTER)
    assert first.acquire(T0)

    # When the first stops beating for longer than stale_after
    assert second.acquire(T0 + STALE_AFTER + timedelta(seconds=1))

    # Then the first has lost it and knows so at its next renewal
    assert not first.renew(T0 + STALE_AFTER + timedelta(seconds=2))
    assert not first.acquire(T0 + STALE_AFTER + timedelta(seconds=2))
    assert second.renew(T0 + STALE_AFTER + timedelta(seconds=2))


def test_releasing_a_heartbeat_lock_lets_the_other_acquire(two_engines):
    first = HeartbeatRowLock(two_engines[0], stale_after=STALE_AFTER)
    second = HeartbeatRowLock(two_engines[1], stale_after=STALE_AFTER)
    assert first.acquire(T0)

    first.release()

    assert second.acquire(T0)
    first.release()  # a release by a non-holder leaves the holder's lock alone
    assert not first.acquire(T0)
    second.release()
    assert first.acquire(T0)


def test_a_standby_checking_the_lock_while_the_holder_beats_is_not_refused(two_engines):
    # Given a holder, and a standby whose check reads the lock row first
    holder = HeartbeatRowLock(two_engines[0], stale_after=STALE_AFTER)
    standby = HeartbeatRowLock(two_engines[1], stale_after=STALE_AFTER)
    assert holder.acquire(T0)
    renewed: list[bool] = []
    beat = threading.Thread(target=lambda: renewed.append(holder.renew(T0 + STALE_AFTER)))

    def heartbeat_between_read_and_write(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        # When the holder's heartbeat comes between the standby's read and its write
        if statement.lstrip().upper().startswith("UPDATE") and not beat.is_alive():
            beat.start()
            beat.join(timeout=0.5)  # a standby holding the write lock keeps it waiting

    sa.event.listen(two_engines[1], "before_cursor_execute", heartbeat_between_read_and_write)
    try:
        taken = standby.acquire(T0 + timedelta(seconds=30))
    finally:
        sa.event.remove(two_engines[1], "before_cursor_execute", heartbeat_between_read_and_write)
    beat.join(timeout=10)

    # Then the standby gets a plain "not yours" (no "database is locked"), and the holder beats
    assert taken is False
    assert renewed == [True]


# --- the lock: PostgreSQL advisory lock ---------------------------------------------------------


@pytest.fixture
def postgres_engines(private_lock_key: int) -> Iterator[list[sa.Engine]]:
    """Three engines on the test database: two schedulers and an onlooker."""
    engines = [sa.create_engine(POSTGRES_URL) for _ in range(3)]
    yield engines
    for engine in engines:
        engine.dispose()


def lock_holder_pid(engine: sa.Engine, key: int) -> int | None:
    """The backend holding the advisory lock on a bigint key (split in two 32-bit halves)."""
    query = sa.text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
        " AND ((classid::bigint << 32) | objid::bigint) = :key"
    )
    with engine.connect() as connection:
        return connection.execute(query, {"key": key}).scalar()


@needs_postgres
def test_only_one_process_holds_the_postgres_lock_until_it_lets_go(postgres_engines):
    first = PostgresAdvisoryLock(postgres_engines[0])
    second = PostgresAdvisoryLock(postgres_engines[1])
    try:
        assert first.acquire(T0)
        assert not second.acquire(T0)
        assert not second.renew(T0)
        assert first.renew(T0 + timedelta(hours=1))  # no heartbeat: it never goes stale

        first.release()

        assert second.acquire(T0)
        assert not first.acquire(T0)
    finally:
        first.release()
        second.release()


@needs_postgres
def test_the_postgres_lock_dies_with_the_connection_of_its_holder(
    postgres_engines, private_lock_key
):
    first = PostgresAdvisoryLock(postgres_engines[0])
    second = PostgresAdvisoryLock(postgres_engines[1])
    onlooker = postgres_engines[2]
    try:
        assert first.acquire(T0)
        pid = lock_holder_pid(onlooker, private_lock_key)
        assert pid is not None

        # When the holder's backend goes away (as when its process is killed)
        with onlooker.connect() as connection:
            terminate = sa.text("SELECT pg_terminate_backend(:pid, 5000)")
            assert connection.execute(terminate, {"pid": pid}).scalar()

        # Then the other takes the lock at once, and the first learns it lost it
        assert second.acquire(T0)
        assert not first.renew(T0)
    finally:
        first.release()
        second.release()


# --- the lock around the sweeps -----------------------------------------------------------------


def test_sweeps_wait_while_another_scheduler_holds_the_lock(own_app):
    reference = seed_case_at_risk(own_app)
    with own_app.app_context():
        other = lock_for(db.engine, stale_after=STALE_AFTER)
    assert other.acquire(T0)
    try:
        with pytest.raises(SchedulerBusy):
            run_all_sweeps_once(own_app)
        assert committed_notes(own_app) == Counter()
    finally:
        other.release()

    results = run_all_sweeps_once(own_app)

    assert results["deadlines"] == 1
    assert set(results) == set(SWEEPS)
    assert committed_notes(own_app) == Counter({(NotificationKind.DEADLINE_AT_RISK, reference): 1})
    assert other.acquire(T0)  # the one-off run let go of the lock
    other.release()


def test_the_job_store_holds_sweep_names_only(make_app):
    app = make_app(ADVISORY_SCHEDULER_TICK_SECONDS="5")
    service = SchedulerService(app)
    try:
        service._step()  # takes the lock and starts APScheduler
        assert service._scheduler is not None
        with app.app_context():
            query = sa.text(f"SELECT id, job_state FROM {JOBSTORE_TABLE}")  # noqa: S608 (constant)
            rows = db.session.execute(query).all()
    finally:
        service.stop()
        # Released before stepping down, unlike run_forever: stepping down disposes the app's
        # engine (see the test below), and a lock connection returned to the disposed pool
        # would leak, open, until garbage collection.
        service.lock.release()
        service._step_down()

    # Our own job store, written a moment ago by this test: safe to unpickle.
    states = {job_id: pickle.loads(state) for job_id, state in rows}  # noqa: S301
    assert {"sweep:deadlines", "sweep:callbacks", "sweep:retention"} <= set(states)
    assert set(states) == {f"sweep:{name}" for name in SWEEPS}
    for job_id, state in states.items():
        assert state["func"] == "advisory.scheduler:run_sweep"
        assert state["args"] == (job_id.removeprefix("sweep:"),)
        assert state["kwargs"] == {}
        assert state["trigger"].interval == timedelta(seconds=5)


def test_stepping_down_leaves_the_apps_connection_pool_alone(own_app):
    with own_app.app_context():
        pool = db.engine.pool
    service = SchedulerService(own_app)
    try:
        service._step()
        assert service._scheduler is not None
    finally:
        service.stop()
        service.lock.release()
        service._step_down()

    with own_app.app_context():
        assert db.engine.pool is pool


def test_a_scheduler_whose_start_failed_starts_at_its_next_step(own_app, monkeypatch):
    real_job_store, attempts = scheduler.SQLAlchemyJobStore, []

    def job_store_down_once(**kwargs: Any) -> Any:
        attempts.append(kwargs)
        if len(attempts) == 1:
            raise RuntimeError("job store unreachable")
        return real_job_store(**kwargs)

    monkeypatch.setattr(scheduler, "SQLAlchemyJobStore", job_store_down_once)
    service = SchedulerService(own_app)
    try:
        # Given a scheduler that got the lock but could not start its sweeps
        service._step()
        assert service._scheduler is None

        # When it steps again, it starts them (still holding the lock)
        service._step()

        assert service._scheduler is not None
    finally:
        service.stop()
        service._step_down()
        service.lock.release()


# --- killed mid-sweep: every notification exactly once ------------------------------------------


@contextmanager
def paused_sweep_process(app: Flask, tmp_path: Path, *pause: str) -> Iterator[subprocess.Popen]:
    """A scheduler process (tests/support/sweep_process.py) stopped at the `pause` point."""
    settings = app.extensions["advisory_settings"]
    marker = tmp_path / "paused"
    env = {
        **base_env(settings.instance_path, settings.database_url),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    args = [sys.executable, str(SWEEP_PROCESS), T0.isoformat(), str(marker), *pause]
    if not is_sqlite(app):
        args += ["--lock-key", str(scheduler_lock.POSTGRES_LOCK_KEY)]
    process = subprocess.Popen(  # noqa: S603 (our own script, fixed arguments)
        args, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not marker.exists():
            if process.poll() is not None:
                _, err = process.communicate()
                pytest.fail(f"the sweep process ended without pausing:\n{err.decode()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the sweep process did not pause within {WAIT_SECONDS} s")
            time.sleep(0.02)  # waiting for the child, not for time to pass
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=WAIT_SECONDS)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == -signal.SIGKILL


def start_again(app: Flask) -> dict[str, int]:
    """Run the sweeps as a restarted scheduler would, once the dead one's lock is gone."""
    if is_sqlite(app):
        # The dead holder's row stays until its heartbeat is older than stale_after.
        set_clock(app, T0)
        with pytest.raises(SchedulerBusy):
            run_all_sweeps_once(app)
    # PostgreSQL drops the lock when the killed process's backend ends, a moment after the kill.
    set_clock(app, LATER)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            return run_all_sweeps_once(app)
        except SchedulerBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def missed_callback_state(app: Flask) -> list[tuple[str, int, str | None]]:
    with app.app_context():
        query = (
            sa.select(Callback.status, Callback.attempts, Callback.contact_envelope)
            .join(Case)
            .where(Case.reference == "CALL-000E")
            .order_by(Callback.id)
        )
        return [tuple(row) for row in db.session.execute(query)]


def breaches(app: Flask) -> list[str]:
    with app.app_context():
        query = sa.select(Case.reference).where(Case.breached_at.is_not(None))
        return sorted(db.session.scalars(query))


def test_a_scheduler_killed_inside_a_sweep_sends_every_notification_exactly_once(own_app, tmp_path):
    expected = seed_events(own_app)

    # Given a scheduler killed inside the deadlines sweep, after its second notification
    with paused_sweep_process(own_app, tmp_path, "--pause-in-notify", "2") as process:
        kill(process)

    # Then nothing of that sweep was committed
    assert committed_notes(own_app) == Counter()
    assert breaches(own_app) == []

    # When a scheduler starts again, every event is announced exactly once
    start_again(own_app)
    assert committed_notes(own_app) == expected
    assert breaches(own_app) == ["LATE-000C", "LATE-000D"]
    assert missed_callback_state(own_app) == [
        (CallbackStatus.MISSED, 1, None),
        (CallbackStatus.BOOKED, 2, ENVELOPE),
    ]

    # And running again changes nothing
    assert run_all_sweeps_once(own_app)["deadlines"] == 0
    assert committed_notes(own_app) == expected
    assert len(missed_callback_state(own_app)) == 2


def test_a_scheduler_killed_between_sweeps_sends_every_notification_exactly_once(own_app, tmp_path):
    expected = seed_events(own_app)
    deadline_notes = Counter(
        {event: n for event, n in expected.items() if event[0] != NotificationKind.CALLBACK_MISSED}
    )

    # Given a scheduler killed after the deadlines sweep committed, before the callbacks sweep
    with paused_sweep_process(own_app, tmp_path, "--pause-after", "deadlines") as process:
        kill(process)
    assert committed_notes(own_app) == deadline_notes

    # When a scheduler starts again, every event is announced exactly once
    start_again(own_app)
    assert committed_notes(own_app) == expected
    assert missed_callback_state(own_app) == [
        (CallbackStatus.MISSED, 1, None),
        (CallbackStatus.BOOKED, 2, ENVELOPE),
    ]

    # And running again changes nothing
    assert sum(run_all_sweeps_once(own_app).values()) == 0
    assert committed_notes(own_app) == expected
