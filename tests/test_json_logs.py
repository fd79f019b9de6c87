"""ADVISORY_LOG_FORMAT=json: every log line is one JSON object, with nothing the text lines lack.

The app's records and gunicorn's own lines (access and error) alike: time, level, logger and
message, and the traceback with its message withheld. The canary addresses and user agent of
`test_logging_privacy.py` are sent again and searched for in the JSON.
"""

from __future__ import annotations

import json
import logging
import sys

import pytest
from flask import Flask
from flask_migrate import upgrade

from advisory import create_app
from advisory.logging_config import WITHHELD, JsonFormatter, formatter_for
from advisory.settings import SettingsError, load_settings, log_format_from
from tests.conftest import base_env, dispose_apps
from tests.support.raw_http import status_of_get
from tests.test_logging_privacy import (
    CANARIES,
    CANARY_HEADERS,
    LOOPBACK,
    REMOTE_ADDR,
    gunicorn_env,
    leaked,
    lines_naming,
    running_gunicorn,
    send_canary_requests,
)

FIELDS = {"time", "level", "logger", "message"}
OPTIONAL_FIELDS = {"exception", "stack"}


def parsed_lines(text: str) -> list[dict[str, str]]:
    """Every line of `text` as JSON (one that is not JSON fails the test here)."""
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    for entry in entries:
        assert FIELDS <= set(entry) <= FIELDS | OPTIONAL_FIELDS, entry
    return entries


@pytest.fixture
def failing_app(bare_app: Flask) -> Flask:
    @bare_app.get("/explode")
    def explode() -> str:
        message = "boom from the test view"  # not on the line the traceback quotes
        raise RuntimeError(message)

    bare_app.testing = False
    bare_app.config["PROPAGATE_EXCEPTIONS"] = False
    return bare_app


def test_app_records_as_json_lines_keep_the_redaction_and_name_no_client(failing_app, caplog):
    caplog.set_level(logging.DEBUG)
    client = failing_app.test_client()

    for path in ("/", "/nope?q=secret-query", "/explode"):
        client.get(path, headers=CANARY_HEADERS, environ_base={"REMOTE_ADDR": REMOTE_ADDR})
    client.post("/language", data={"language": "en"}, headers=CANARY_HEADERS)
    text = "\n".join(formatter_for("json").format(record) for record in caplog.records)

    entries = parsed_lines(text)
    assert len(entries) == len(caplog.records) > 0
    [error] = [entry for entry in entries if "exception" in entry]
    assert error["level"] == "ERROR"
    assert f"RuntimeError: {WITHHELD}" in error["exception"]
    assert "boom from the test view" not in text
    assert leaked(text, (*CANARIES, "secret-query")) == []


def test_a_record_made_before_the_redaction_is_redacted_too():
    message = "a row that quotes stored data"
    try:
        raise OSError(message)
    except OSError:
        # Made directly, not through the app's record factory (which withholds the message).
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    entry = json.loads(JsonFormatter().format(record))

    assert entry["exception"].endswith(f"OSError: {WITHHELD}")
    assert "quotes stored data" not in json.dumps(entry)


def test_the_app_writes_json_to_stderr_where_nothing_else_set_logging_up(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(logging.root, "handlers", [])  # as in a process of its own
    create_app(base_env(tmp_path, f"sqlite:///{tmp_path / 'a.db'}", ADVISORY_LOG_FORMAT="json"))

    logging.getLogger("advisory.test").warning("a line %s", "formatted")

    [entry] = parsed_lines(capsys.readouterr().err)
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "WARNING",
        "advisory.test",
        "a line formatted",
    )


@pytest.mark.parametrize(("given", "read"), [("", "text"), ("text", "text"), ("json", "json")])
def test_the_log_format_setting(tmp_path, given, read):
    env = {"ADVISORY_INSTANCE_PATH": str(tmp_path), "ADVISORY_LOG_FORMAT": given}

    assert load_settings(env).log_format == read
    assert log_format_from(env) == read


def test_an_unknown_log_format_stops_start_up_naming_the_variable(tmp_path):
    env = {"ADVISORY_INSTANCE_PATH": str(tmp_path), "ADVISORY_LOG_FORMAT": "xml"}

    with pytest.raises(SettingsError, match="ADVISORY_LOG_FORMAT"):
        load_settings(env)
    with pytest.raises(SettingsError, match="ADVISORY_LOG_FORMAT"):
        log_format_from(env)


def test_gunicorn_and_the_app_write_json_lines_without_address_or_user_agent(tmp_path):
    env = gunicorn_env(tmp_path, ADVISORY_LOG_FORMAT="json")
    migrated = create_app(env)
    with migrated.app_context():
        upgrade()
    dispose_apps([migrated])

    with running_gunicorn(tmp_path, env) as server:
        statuses = send_canary_requests(server.port)
        # No scheduler runs: the app logs a warning
        readiness = status_of_get(server.port, "/readyz")
    assert statuses == [200, 404, 400], server.output
    assert readiness == 503

    entries = parsed_lines(server.output)
    loggers = {entry["logger"] for entry in entries}
    access = [entry["message"] for entry in entries if entry["logger"] == "gunicorn.access"]
    assert {"gunicorn.error", "gunicorn.access", "advisory.services.readiness"} <= loggers
    assert any('"GET / HTTP/1.1" 200' in message for message in access)
    assert leaked(server.output) == []
    assert lines_naming(server.output, LOOPBACK, server.port) == []
