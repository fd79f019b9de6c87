"""Invariant 2, for logs: no IP address or user agent is ever written to a log.

Three layers, each with distinctive canaries: the app itself (Flask test client), the
development server behind `make run` (advisory.devserver), and gunicorn with the repository's
gunicorn.conf.py. Each test also checks that something was logged, so an empty log cannot pass.
"""

from __future__ import annotations

import http.client
import importlib.util
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from advisory.devserver import AnonymousRequestHandler
from tests.conftest import base_env

REPO_ROOT = Path(__file__).resolve().parent.parent

REMOTE_ADDR = "198.51.100.23"
FORWARDED_FOR = "203.0.113.99"
REAL_IP = "192.0.2.77"
USER_AGENT = "CanaryAgent/9.9 (unique-ua-7d1f)"
CANARY_HEADERS = {
    "X-Forwarded-For": FORWARDED_FOR,
    "X-Real-IP": REAL_IP,
    "User-Agent": USER_AGENT,
}
# Also the distinctive parts on their own, in case a log shortens or re-quotes the header.
CANARIES = (REMOTE_ADDR, FORWARDED_FOR, REAL_IP, USER_AGENT, "CanaryAgent", "unique-ua-7d1f")
# Over a real socket the client's address is the loopback address.
LOOPBACK = "127.0.0.1"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def leaked(text: str, needles: tuple[str, ...] = CANARIES) -> list[str]:
    return [needle for needle in needles if needle in text]


# --- a. the application's own logging -------------------------------------------------------


@pytest.fixture
def failing_app(bare_app: Flask) -> Flask:
    """The real app plus a view that raises, run as in production so Flask logs the error."""

    @bare_app.get("/explode")
    def explode() -> str:
        raise RuntimeError("boom from the test view")

    bare_app.testing = False
    bare_app.config["PROPAGATE_EXCEPTIONS"] = False
    return bare_app


def test_app_logs_no_address_or_user_agent(failing_app, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    client = failing_app.test_client()
    requests = [
        ("GET", "/", 200),
        ("GET", "/nope", 404),
        ("POST", "/language", 400),  # no CSRF token
        ("GET", "/explode", 500),
    ]

    for method, path, status in requests:
        response = client.open(
            path,
            method=method,
            data={"language": "en"} if method == "POST" else None,
            headers=CANARY_HEADERS,
            environ_base={"REMOTE_ADDR": REMOTE_ADDR},
        )
        assert response.status_code == status, path

    # The log is not empty: the error and the refused CSRF token were both recorded ...
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    # (the exception's type and traceback are kept; its message is withheld from every log)
    assert any(
        r.exc_text and "RuntimeError: (exception message withheld" in r.exc_text for r in errors
    )
    assert any(r.name == "flask_wtf.csrf" for r in caplog.records)
    # ... and nothing in it, tracebacks included, names the client.
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        assert leaked(formatter.format(record)) == [], record
    out, err = capfd.readouterr()
    assert leaked(out + err) == []


# --- b. the development server (make run) -----------------------------------------------------


@contextmanager
def running_dev_server(app: Flask, handler: type[WSGIRequestHandler]) -> Iterator[BaseWSGIServer]:
    server = make_server("127.0.0.1", 0, app, request_handler=handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def send_canary_requests(port: int) -> list[int]:
    """GET /, GET /nope and a POST without a CSRF token, each with the canary headers."""
    requests = [("GET", "/", None), ("GET", "/nope", None), ("POST", "/language", "language=en")]
    statuses = []
    for method, path, body in requests:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            headers = dict(CANARY_HEADERS)
            if body is not None:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        finally:
            connection.close()
    return statuses


def dev_server_log(
    app: Flask, handler: type[WSGIRequestHandler], caplog: pytest.LogCaptureFixture
) -> str:
    with caplog.at_level(logging.INFO, logger="werkzeug"), running_dev_server(app, handler) as s:
        assert send_canary_requests(s.port) == [200, 404, 400]
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    return ANSI_ESCAPE.sub("", "\n".join(lines))


def test_dev_server_access_log_has_no_address_or_user_agent(bare_app, caplog, capfd):
    log = dev_server_log(bare_app, AnonymousRequestHandler, caplog)

    assert '"GET / HTTP/1.1" 200' in log
    assert '"GET /nope HTTP/1.1" 404' in log
    assert '"POST /language HTTP/1.1" 400' in log
    assert leaked(log, (*CANARIES, LOOPBACK)) == []
    out, err = capfd.readouterr()
    assert leaked(out + err, (*CANARIES, LOOPBACK)) == []


def test_stock_werkzeug_handler_would_log_the_address(bare_app, caplog):
    """The check above is meaningful: the same setup with werkzeug's own handler leaks."""
    log = dev_server_log(bare_app, WSGIRequestHandler, caplog)

    assert f"{LOOPBACK} - - [" in log
    assert '"GET / HTTP/1.1" 200' in log


# --- c. gunicorn with the repository's gunicorn.conf.py ---------------------------------------

GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_answering(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"gunicorn did not answer on port {port} within {timeout} s")


@pytest.mark.skipif(
    importlib.util.find_spec("gunicorn") is None, reason="gunicorn is not installed in this venv"
)
def test_gunicorn_access_and_error_logs_have_no_address_or_user_agent(tmp_path):
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        # gunicorn >= 25.1 opens a control socket in $XDG_RUNTIME_DIR (else ~/.gunicorn):
        # keep it inside this test's directory, away from the developer's and other runs'.
        "XDG_RUNTIME_DIR": str(tmp_path),
        **base_env(tmp_path, f"sqlite:///{tmp_path / 'g.db'}"),
    }
    command = [
        str(GUNICORN),
        "-c",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "wsgi:app",
    ]
    process = subprocess.Popen(  # noqa: S603 - fixed command, our own venv's gunicorn
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_until_answering(port, process, timeout=10)
        statuses = send_canary_requests(port)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            stdout, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
    output = (stdout + stderr).decode("utf-8", errors="replace")
    assert statuses == [200, 404, 400], output

    # Access lines (stdout, gunicorn.conf.py's format) exist for every request.
    access = stdout.decode("utf-8", errors="replace")
    assert '"GET / HTTP/1.1" 200' in access
    assert '"GET /nope HTTP/1.1" 404' in access
    assert '"POST /language HTTP/1.1" 400' in access
    # No canary anywhere in stdout or stderr, startup lines included.
    assert leaked(output) == []
    # The loopback address is the real client address here, so it must not appear either.
    # Exactly one line may contain it: gunicorn's startup line naming the address *we bound*
    # ("Listening at: http://127.0.0.1:<port> (<pid>)"), which is the server's address, not a
    # client's. That line is excluded by its exact text; every other line is checked.
    listening = f"Listening at: http://127.0.0.1:{port} ("
    other_lines = [line for line in output.splitlines() if listening not in line]
    assert len(other_lines) == len(output.splitlines()) - 1, "expected one Listening line"
    assert [line for line in other_lines if LOOPBACK in line] == []
