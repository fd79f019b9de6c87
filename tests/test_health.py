"""`/healthz` says the process answers; `/readyz` that the database answers, its schema is the
code's and a scheduler is sweeping. Both say one word and nothing else, and neither is ever
rate-limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade

from advisory import create_app
from advisory.extensions import db
from advisory.models import SchedulerLock
from advisory.ratelimit import LIMITED_VIEWS
from advisory.scheduler import SchedulerService, run_all_sweeps_once
from advisory.scheduler_lock import HEARTBEAT_NAME
from tests.conftest import base_env, dispose_apps
from tests.test_scheduler import T0, make_app, own_app, own_database, private_lock_key, set_clock

__all__ = ["make_app", "own_app", "own_database", "private_lock_key"]  # fixtures used here

TICK = timedelta(seconds=60)  # base_env's scheduler tick


def answer(app, path: str) -> tuple[int, str, str, str]:
    response = app.test_client().get(path)
    return (
        response.status_code,
        response.get_data(as_text=True),
        response.mimetype,
        response.headers.get("Cache-Control", ""),
    )


def test_the_process_is_alive_in_one_word_and_never_limited(client):
    answers = {client.get("/healthz").get_data(as_text=True) for _ in range(300)}
    response = client.get("/healthz")

    assert answers == {"ok\n"}
    assert not {"health.alive", "health.ready"} & set(LIMITED_VIEWS)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"


def test_an_instance_without_a_sweeping_scheduler_is_not_ready(own_app):
    assert answer(own_app, "/readyz") == (503, "not ready\n", "text/plain", "no-store")


def test_an_instance_whose_scheduler_swept_is_ready_until_the_heartbeat_is_old(own_app):
    # Given a scheduler that ran its sweeps at T0
    run_all_sweeps_once(own_app)

    # Then the instance is ready while the heartbeat is fresh, and not after three ticks
    ready = answer(own_app, "/readyz")
    set_clock(own_app, T0 + 3 * TICK)
    still = answer(own_app, "/readyz")
    set_clock(own_app, T0 + 3 * TICK + timedelta(seconds=1))
    stale = answer(own_app, "/readyz")

    assert ready == (200, "ready\n", "text/plain", "no-store")
    assert still[:2] == (200, "ready\n")
    assert stale[:2] == (503, "not ready\n")


def test_the_long_running_scheduler_beats_while_it_holds_the_lock(make_app):
    app = make_app(ADVISORY_SCHEDULER_TICK_SECONDS="5")
    service = SchedulerService(app)
    try:
        service._step()  # takes the lock, starts the sweeps, beats
        with app.app_context():
            beat = db.session.get(SchedulerLock, HEARTBEAT_NAME)
            owner = None if beat is None else beat.owner
    finally:
        service.stop()
        service.lock.release()
        service._step_down()

    assert owner == service.lock.owner
    assert answer(app, "/readyz")[:2] == (200, "ready\n")


def test_a_schema_behind_the_code_is_not_ready(own_app):
    run_all_sweeps_once(own_app)
    with own_app.app_context():
        downgrade(revision="-1")

    assert answer(own_app, "/readyz")[:2] == (503, "not ready\n")


def test_a_database_without_any_migration_is_not_ready(own_database, tmp_path):
    # As a new host's is before `init`: no table at all, so no heartbeat to read either
    app = create_app(base_env(tmp_path / "instance", own_database))
    try:
        assert answer(app, "/readyz")[:2] == (503, "not ready\n")
    finally:
        dispose_apps([app])


def test_a_database_that_does_not_answer_is_not_ready_and_says_nothing_more(own_app):
    run_all_sweeps_once(own_app)
    with own_app.app_context():
        engine = db.engine
    engine.dispose()
    dbapi = engine.dialect.loaded_dbapi

    def refuse(*_args: object) -> None:
        # What the driver raises when the database host is gone.
        raise dbapi.OperationalError("connection refused")

    sa.event.listen(engine, "do_connect", refuse)
    try:
        status, body, _, _ = answer(own_app, "/readyz")
    finally:
        sa.event.remove(engine, "do_connect", refuse)

    assert (status, body) == (503, "not ready\n")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_answers_carry_no_detail(client, path):
    body = client.get(path).get_data(as_text=True)

    assert body in {"ok\n", "ready\n", "not ready\n"}
