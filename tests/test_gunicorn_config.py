"""gunicorn.conf.py: rate limits that hold in production, whatever the number of workers.

By default gunicorn runs one worker process with threads, so the in-memory rate-limit counters
see every request. Several worker processes count together only with shared storage (Redis,
database 3 here); with per-process storage gunicorn refuses to start and says why.
"""

from __future__ import annotations

import http.client
import runpy
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask_migrate import upgrade

from advisory import create_app
from advisory.extensions import db
from advisory.models import ContactPreference, Kind
from advisory.services.line_keys import initialise_line
from tests.conftest import DEFAULT_NOW
from tests.reporter_helpers import Page
from tests.support.redis_client import reachable_redis
from tests.test_logging_privacy import (
    GUNICORN,
    REPO_ROOT,
    free_port,
    gunicorn_env,
    running_gunicorn,
)

REDIS_URL = "redis://127.0.0.1:6379/3"
REPORT_LIMIT = "5 per hour"
REPORTS_SENT = 14
SESSION_COOKIE = "advisory_session"


def initialised_instance(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A gunicorn environment whose SQLite database holds the migrations and a line key,
    made in this process as `flask --app advisory init` makes them."""
    env = gunicorn_env(tmp_path, **overrides)
    app = create_app(env)
    with app.app_context():
        upgrade()
        initialise_line(db.session(), now=DEFAULT_NOW, iterations=1000)
        db.session.commit()
        db.engine.dispose()
    return env


# --- the configuration's values ----------------------------------------------------------------


def config_values(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for name in ("ADVISORY_WORKERS", "ADVISORY_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(REPO_ROOT / "gunicorn.conf.py"))


def test_default_is_one_worker_process_with_threads(monkeypatch):
    values = config_values(monkeypatch)

    assert values["workers"] == 1
    assert values["worker_class"] == "gthread"
    assert values["threads"] == 8
    assert values["logger_class"] == "advisory.gunicorn_logging.AnonymousLogger"


def test_workers_and_threads_come_from_the_environment(monkeypatch):
    values = config_values(monkeypatch, ADVISORY_WORKERS="3", ADVISORY_THREADS="4")

    assert (values["workers"], values["threads"]) == (3, 4)


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_thread_count_stops_start_up_naming_the_variable(monkeypatch, value):
    with pytest.raises(SystemExit, match="ADVISORY_THREADS"):
        config_values(monkeypatch, ADVISORY_THREADS=value)


# --- several processes and per-process counting ------------------------------------------------


@pytest.mark.parametrize(
    ("env", "args"),
    [({"ADVISORY_WORKERS": "2"}, []), ({}, ["--workers", "2"])],
    ids=["ADVISORY_WORKERS", "--workers"],
)
def test_several_workers_counting_in_memory_refuse_to_start(tmp_path, env, args):
    command = [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{free_port()}"]
    finished = subprocess.run(  # noqa: S603 - fixed command, our own venv's gunicorn
        [*command, *args, "wsgi:app"],
        cwd=REPO_ROOT,
        env=gunicorn_env(tmp_path, ADVISORY_RATELIMIT_STORAGE="memory://", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode != 0
    assert "ADVISORY_WORKERS" in finished.stderr
    assert "ADVISORY_RATELIMIT_STORAGE" in finished.stderr
    assert "Booting worker" not in finished.stderr  # refused before serving anything


# --- counting reports over HTTP ----------------------------------------------------------------


@dataclass(frozen=True)
class ReportForm:
    cookie: str
    fields: dict[str, str]


def open_report_form(port: int) -> ReportForm:
    """GET /report on a new session: its cookie and the form's tokens, filled in (no JS)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/report")
        response = connection.getresponse()
        page = Page(response.read().decode("utf-8"))
        assert response.status == 200
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    finally:
        connection.close()
    fields = {
        "csrf_token": page.input_value("csrf_token"),
        "submission_token": page.input_value("submission_token"),
        "kind": Kind.DISCRIMINATION.value,
        "contact_preference": ContactPreference.INBOX.value,
        "slot": "any",
        "narrative": "Counted, not stored anywhere else.",
    }
    return ReportForm(f"{SESSION_COOKIE}={jar[SESSION_COOKIE].value}", fields)


def send_report(port: int, form: ReportForm) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Cookie": form.cookie, "Content-Type": "application/x-www-form-urlencoded"}
        connection.request("POST", "/report", body=urlencode(form.fields), headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def send_reports_at_once(port: int) -> list[int]:
    """REPORTS_SENT reports, each from its own form page, posted all at the same time."""
    forms = [open_report_form(port) for _ in range(REPORTS_SENT)]
    with ThreadPoolExecutor(max_workers=REPORTS_SENT) as pool:
        return list(pool.map(lambda form: send_report(port, form), forms))


def test_default_configuration_counts_every_thread_together(tmp_path):
    env = initialised_instance(tmp_path, ADVISORY_REPORT_LIMIT=REPORT_LIMIT)
    with running_gunicorn(tmp_path, env) as server:
        statuses = send_reports_at_once(server.port)

    assert sorted(statuses) == [303] * 5 + [429] * (REPORTS_SENT - 5), server.output


@pytest.fixture
def redis_db3() -> Any:
    """Redis database 3, without the limiter's keys before and after the test."""
    client = reachable_redis(REDIS_URL, "workers share Redis")

    def forget_counts() -> None:
        for key in client.scan_iter("LIMITS:*"):
            client.delete(key)

    forget_counts()
    yield client
    forget_counts()
    client.close()


def test_two_workers_sharing_redis_count_together(tmp_path, redis_db3):
    env = initialised_instance(
        tmp_path,
        ADVISORY_WORKERS="2",
        ADVISORY_RATELIMIT_STORAGE=REDIS_URL,
        ADVISORY_REPORT_LIMIT=REPORT_LIMIT,
    )
    with running_gunicorn(tmp_path, env) as server:
        server.wait_for("Booting worker", times=2)
        statuses = send_reports_at_once(server.port)

    assert server.output.count("Booting worker") == 2
    assert sorted(statuses) == [303] * 5 + [429] * (REPORTS_SENT - 5), server.output
