"""`flask --app advisory doctor`: passes a production configuration of several hosts, and
fails any other with one line per problem that names the setting to change."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_migrate import downgrade

from advisory import audit
from advisory.context import db_session
from advisory.models import Role, WrapKind, WrappedKey
from advisory.scheduler import run_all_sweeps_once
from advisory.services.line_keys import active_line_key, start_line_key
from advisory.services.line_settings import default_line
from advisory.services.staff_lines import give_lines
from tests.conftest import TEST_SECRETS, needs_postgres, unusable_staff
from tests.test_scheduler import T0, make_app, own_database, private_lock_key, set_clock

__all__ = ["make_app", "own_database", "private_lock_key"]  # fixtures used here

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
REDIS_URL = "redis://127.0.0.1:6379/5"
# Several hosts behind a proxy: PostgreSQL, Redis, secure cookies, an https address.
PRODUCTION = {
    "ADVISORY_ENV": "production",
    "ADVISORY_SECURE_COOKIES": "true",
    "ADVISORY_PUBLIC_URL": "https://rad.example.org",
    "ADVISORY_WORKERS": "2",
    "ADVISORY_HOSTS": "2",
    "ADVISORY_RATELIMIT_STORAGE": REDIS_URL,
}


def ready_instance(app: Flask) -> None:
    """A line whose key a lawyer holds, and a scheduler that has just swept."""
    with app.app_context():
        session = db_session()
        line = default_line(session)
        assert line is not None
        key = (
            active_line_key(session, line.id)
            or start_line_key(session, line, now=T0, iterations=1000, data_key=DATA_KEY).line_key
        )
        lawyer = unusable_staff(Role.LAWYER, username="ada", line_id=line.id)
        lawyer.public_key = "A" * 43
        lawyer.wrapped_private_key = "wrapped"
        session.add(lawyer)
        session.flush()
        give_lines(session, lawyer, [line.id], now=T0)
        session.add(
            WrappedKey(
                line_key_id=key.id, kind=WrapKind.GRANT, staff_id=lawyer.id, blob="g", created_at=T0
            )
        )
        session.commit()
    run_all_sweeps_once(app)


def doctor(app: Flask) -> tuple[int, list[str]]:
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


def named(lines: list[str]) -> set[str]:
    return {line.split(":", 1)[0] for line in lines}


@pytest.fixture
def initialised(make_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """An app made with `env`, initialised (`flask init`: a line and its key)."""

    def initialised(**env: str) -> Flask:
        app = make_app(**env)
        result = app.test_cli_runner().invoke(args=["init"])
        assert result.exit_code == 0, result.output
        return app

    return initialised


@needs_postgres
@pytest.mark.parametrize("own_database", ["postgresql"], indirect=True)
def test_the_configuration_of_several_hosts_passes(initialised):
    app = initialised(**PRODUCTION)
    ready_instance(app)

    code, lines = doctor(app)

    assert (code, lines) == (0, ["No problems found."])


def test_make_runs_configuration_is_development_and_fails_with_named_reasons(initialised):
    app = initialised(ADVISORY_ENV="development", ADVISORY_SECURE_COOKIES="false")

    code, lines = doctor(app)

    assert code == 1
    assert {
        "ADVISORY_ENV",
        "ADVISORY_SECURE_COOKIES",
        "ADVISORY_PUBLIC_URL",
        "scheduler",
        "line main",
    } <= named(lines)


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"ADVISORY_PUBLIC_URL": "http://rad.example.org"}, "ADVISORY_PUBLIC_URL"),
        ({"ADVISORY_RATELIMIT_STORAGE": "memory://"}, "ADVISORY_RATELIMIT_STORAGE"),
        ({"ADVISORY_SECURE_COOKIES": "false"}, "ADVISORY_SECURE_COOKIES"),
    ],
)
def test_each_unsafe_setting_is_named(initialised, env, setting):
    app = initialised(**{**PRODUCTION, **env})
    ready_instance(app)

    code, lines = doctor(app)

    assert code == 1
    assert setting in named(lines)


def test_an_onion_address_over_http_is_a_secure_context(initialised):
    onion = "http://abcdefghijklmnop.onion"
    app = initialised(**{**PRODUCTION, "ADVISORY_PUBLIC_URL": onion})
    ready_instance(app)

    assert "ADVISORY_PUBLIC_URL" not in named(doctor(app)[1])


def test_sqlite_for_several_workers_is_named(make_app, initialised, own_database):
    if not own_database.startswith("sqlite"):
        pytest.skip("the SQLite configuration")
    app = initialised(**PRODUCTION)
    ready_instance(app)

    assert "DATABASE_URL" in named(doctor(app)[1])


def test_a_secrets_file_others_can_read_is_named(initialised, tmp_path):
    app = initialised(**{**PRODUCTION, "ADVISORY_WORKERS": "1", "ADVISORY_HOSTS": "1"})
    ready_instance(app)
    secrets = tmp_path / "instance" / "secrets.json"
    secrets.parent.mkdir(mode=0o700, exist_ok=True)
    secrets.write_text("{}")
    os.chmod(secrets, 0o644)

    lines = doctor(app)[1]

    assert any(line.startswith("ADVISORY_INSTANCE_PATH") and "644" in line for line in lines)


def test_a_mail_server_that_does_not_answer_is_named(initialised):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = initialised(
        **{**PRODUCTION, "ADVISORY_WORKERS": "1", "ADVISORY_HOSTS": "1"},
        ADVISORY_SMTP_HOST="127.0.0.1",
        ADVISORY_SMTP_PORT=str(port),
        ADVISORY_SMTP_SENDER="line@example.org",
    )
    ready_instance(app)

    lines = doctor(app)[1]

    assert any(line.startswith("ADVISORY_SMTP_HOST") for line in lines)


def test_a_stale_heartbeat_and_a_line_key_nobody_holds_are_named(initialised):
    app = initialised(**{**PRODUCTION, "ADVISORY_WORKERS": "1", "ADVISORY_HOSTS": "1"})
    run_all_sweeps_once(app)  # the heartbeat, but no lawyer holds the key
    set_clock(app, T0 + timedelta(minutes=10))

    lines = doctor(app)[1]

    assert {"scheduler", "line main"} <= named(lines)


def test_a_schema_behind_the_code_is_named_first(initialised):
    app = initialised(**{**PRODUCTION, "ADVISORY_WORKERS": "1", "ADVISORY_HOSTS": "1"})
    ready_instance(app)
    with app.app_context():
        downgrade(revision="-1")

    assert named(doctor(app)[1]) == {"migrations"}


def test_a_clock_behind_the_audit_log_is_named(initialised):
    app = initialised(**{**PRODUCTION, "ADVISORY_WORKERS": "1", "ADVISORY_HOSTS": "1"})
    ready_instance(app)
    with app.app_context():
        session = db_session()
        audit.record(session, action="test.future", now=datetime.now(UTC) + timedelta(hours=1))
        session.commit()

    assert named(doctor(app)[1]) == {"clock"}
