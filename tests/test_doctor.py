"""`flask --app advisory doctor`: passes a production configuration of several hosts, and
fails any other with one line per problem that names the setting to change."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import downgrade

from advisory import audit
from advisory.context import db_session as app_session
from advisory.models import Role, SchedulerLock, WrapKind, WrappedKey
from advisory.scheduler import run_all_sweeps_once
from advisory.scheduler_lock import HEARTBEAT_NAME
from advisory.services.backup_file import new_key_pair
from advisory.services.doctor import examine
from advisory.services.line_keys import active_line_key
from advisory.services.line_settings import default_line
from advisory.settings import load_settings
from tests.conftest import DEFAULT_NOW, base_env, needs_postgres, unusable_staff
from tests.test_scheduler import make_app, own_database, private_lock_key

__all__ = ["make_app", "own_database", "private_lock_key"]  # fixtures used here

# Several hosts behind a proxy: PostgreSQL, Redis, secure cookies, an https address.
PRODUCTION = {
    "ADVISORY_ENV": "production",
    "ADVISORY_SECURE_COOKIES": "true",
    "ADVISORY_PUBLIC_URL": "https://rad.example.org",
    "ADVISORY_WORKERS": "2",
    "ADVISORY_HOSTS": "2",
    "ADVISORY_RATELIMIT_STORAGE": "redis://127.0.0.1:6379/5",
    "ADVISORY_PROXIES": "1",
    "ADVISORY_BACKUP_PUBLIC_KEY": new_key_pair()[1],
}
ONE_HOST = {**PRODUCTION, "ADVISORY_WORKERS": "1", "ADVISORY_HOSTS": "1"}
MEMORY = "ADVISORY_RATELIMIT_STORAGE"


def key_held_and_swept(session) -> None:
    """A lawyer holds the line's key, and a scheduler beat just now."""
    line = default_line(session)
    assert line is not None
    key = active_line_key(session, line.id)
    assert key is not None
    lawyer = unusable_staff(Role.LAWYER, username="ada", line_id=line.id)
    lawyer.public_key, lawyer.wrapped_private_key = "A" * 43, "wrapped"
    session.add(lawyer)
    session.flush()
    session.add(
        WrappedKey(
            line_key_id=key.id,
            kind=WrapKind.GRANT,
            staff_id=lawyer.id,
            blob="g",
            created_at=DEFAULT_NOW,
        )
    )
    session.merge(SchedulerLock(name=HEARTBEAT_NAME, owner="test", heartbeat_at=DEFAULT_NOW))
    session.flush()


def problems_with(session, tmp_path: Path, **env: str) -> set[str]:
    """The settings `doctor` names for the configuration `env` over the test's database."""
    url = session.connection().engine.url.render_as_string(hide_password=False)
    settings = load_settings(base_env(tmp_path / "instance", url, **env))
    return {problem.setting for problem in examine(settings, session, DEFAULT_NOW)}


# --- through the command, on an instance of its own ----------------------------------------------


def doctor(app: Flask) -> tuple[int, list[str]]:
    result = app.test_cli_runner().invoke(args=["doctor"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


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
    with app.app_context():
        key_held_and_swept(app_session())
        app_session().commit()
    run_all_sweeps_once(app)  # a heartbeat at the app's clock

    assert doctor(app) == (0, ["No problems found."])


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
    } <= {line.split(":", 1)[0] for line in lines}


def test_a_schema_behind_the_code_is_named_first(initialised):
    app = initialised(**ONE_HOST)
    with app.app_context():
        downgrade(revision="-1")

    code, lines = doctor(app)

    assert code == 1
    assert lines == [line for line in lines if line.startswith("migrations: ")]
    assert len(lines) == 1


# --- each check, over the test's database --------------------------------------------------------


def test_one_host_in_production_with_a_held_key_passes(db_session, line_key, tmp_path):
    key_held_and_swept(db_session)

    assert problems_with(db_session, tmp_path, **ONE_HOST) == set()


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"ADVISORY_PUBLIC_URL": "http://rad.example.org"}, "ADVISORY_PUBLIC_URL"),
        ({"ADVISORY_PUBLIC_URL": ""}, "ADVISORY_PUBLIC_URL"),
        ({"ADVISORY_SECURE_COOKIES": "false"}, "ADVISORY_SECURE_COOKIES"),
        ({"ADVISORY_PROXIES": "0"}, "ADVISORY_PROXIES"),
        ({"ADVISORY_BACKUP_PUBLIC_KEY": ""}, "ADVISORY_BACKUP_PUBLIC_KEY"),
        ({"ADVISORY_BACKUP_PUBLIC_KEY": "AGE-SECRET-KEY-1QQQ"}, "ADVISORY_BACKUP_PUBLIC_KEY"),
        (
            {"ADVISORY_WORKERS": "2", "ADVISORY_RATELIMIT_STORAGE": "memory://"},
            "ADVISORY_RATELIMIT_STORAGE",
        ),
        (
            {"ADVISORY_HOSTS": "2", "ADVISORY_RATELIMIT_STORAGE": "memory://"},
            "ADVISORY_RATELIMIT_STORAGE",
        ),
    ],
)
def test_each_unsafe_setting_is_named(db_session, line_key, tmp_path, env, setting):
    key_held_and_swept(db_session)

    # (SQLite with several workers is named as well: see below)
    assert problems_with(db_session, tmp_path, **{**ONE_HOST, **env}) - {"DATABASE_URL"} == {
        setting
    }


def test_an_onion_address_over_http_is_a_secure_context(db_session, line_key, tmp_path):
    key_held_and_swept(db_session)
    onion = {**ONE_HOST, "ADVISORY_PUBLIC_URL": "http://abcdefghijklmnop.onion"}

    assert problems_with(db_session, tmp_path, **onion) == set()


def test_sqlite_for_several_workers_is_named(db_session, line_key, tmp_path):
    key_held_and_swept(db_session)
    named = problems_with(db_session, tmp_path, **{**ONE_HOST, "ADVISORY_WORKERS": "2"})

    sqlite = db_session.get_bind().dialect.name == "sqlite"
    assert named == ({"DATABASE_URL"} if sqlite else set())


def test_a_secrets_file_others_can_read_is_named(db_session, line_key, tmp_path):
    key_held_and_swept(db_session)
    secrets = tmp_path / "instance" / "secrets.json"
    secrets.parent.mkdir(mode=0o700)
    secrets.write_text("{}")
    os.chmod(secrets, 0o644)

    assert problems_with(db_session, tmp_path, **ONE_HOST) == {"ADVISORY_INSTANCE_PATH"}


def test_a_line_zone_this_host_does_not_know_is_named_not_a_crash(db_session, line_key, tmp_path):
    key_held_and_swept(db_session)
    line = default_line(db_session)
    assert line is not None
    line.timezone = "Mars/Olympus_Mons"  # a host without the zone, or a hand-edited row
    db_session.flush()

    assert problems_with(db_session, tmp_path, **ONE_HOST) == {"line main"}


def test_files_the_start_had_to_make_private_are_named(initialised, make_app, tmp_path):
    initialised(**ONE_HOST)
    (tmp_path / "instance").mkdir(exist_ok=True)  # PostgreSQL's instance has no files yet
    os.chmod(tmp_path / "instance", 0o755)  # noqa: S103 - as a copy, a restore or a umask does

    code, lines = doctor(make_app(**ONE_HOST))  # its start makes the file private again

    assert code == 1
    assert "ADVISORY_INSTANCE_PATH: 1 item(s) in" in "\n".join(lines)


def test_a_mail_server_that_does_not_answer_is_named(db_session, line_key, tmp_path):
    key_held_and_swept(db_session)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mail = {"ADVISORY_SMTP_HOST": "127.0.0.1", "ADVISORY_SMTP_PORT": str(port)}

    named = problems_with(
        db_session, tmp_path, **ONE_HOST, **mail, ADVISORY_SMTP_SENDER="line@example.org"
    )

    assert named == {"ADVISORY_SMTP_HOST"}


def test_a_stale_heartbeat_and_a_key_nobody_holds_are_named(db_session, line_key, tmp_path):
    db_session.merge(
        SchedulerLock(
            name=HEARTBEAT_NAME, owner="test", heartbeat_at=DEFAULT_NOW - timedelta(hours=1)
        )
    )
    db_session.flush()

    assert problems_with(db_session, tmp_path, **ONE_HOST) == {"scheduler", "line main"}


def test_a_clock_behind_the_audit_log_is_named(db_session, line_key, tmp_path):
    key_held_and_swept(db_session)
    audit.record(db_session, action="test.future", now=datetime.now(UTC) + timedelta(hours=1))
    db_session.flush()

    assert problems_with(db_session, tmp_path, **ONE_HOST) == {"clock"}
