"""Invariant 2, for logs: no IP address or user agent is ever written to a log.

Three layers, each with distinctive canaries: the app itself (Flask test client), the
development server behind `make run` (advisory.devserver), and gunicorn with the repository's
gunicorn.conf.py, for well-formed requests and for the malformed ones gunicorn refuses itself
(its logger class on its own too). Each test also checks that something was logged, so an
empty log cannot pass.
"""

from __future__ import annotations

import http.client
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
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from advisory.devserver import AnonymousRequestHandler
from advisory.gunicorn_logging import AnonymousLogger, HideAddresses, hide_addresses
from advisory.logging_config import WITHHELD
from tests.conftest import base_env
from tests.support.raw_http import send_raw

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


def gunicorn_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The app's test environment on a SQLite file in `tmp_path`, for a gunicorn process."""
    return {
        "PATH": os.environ.get("PATH", ""),
        # gunicorn >= 25.1 opens a control socket in $XDG_RUNTIME_DIR (else ~/.gunicorn):
        # keep it inside this test's directory, away from the developer's and other runs'.
        "XDG_RUNTIME_DIR": str(tmp_path),
        **base_env(tmp_path, f"sqlite:///{tmp_path / 'g.db'}"),
        **overrides,
    }


@dataclass
class Gunicorn:
    """A gunicorn run: its port and log files; once it has stopped, what it wrote."""

    port: int
    out_path: Path
    err_path: Path
    stdout: str = ""
    stderr: str = ""

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def wait_for(self, text: str, times: int = 1, timeout: float = 15) -> None:
        """Wait until the error log (gunicorn's own lines) holds `text` `times` times."""
        deadline = time.monotonic() + timeout
        while self.err_path.read_text(errors="replace").count(text) < times:
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not log {text!r} {times} times in {timeout} s")
            time.sleep(0.05)


@contextmanager
def running_gunicorn(
    tmp_path: Path, env: dict[str, str], *args: str, app: str = "wsgi:app"
) -> Iterator[Gunicorn]:
    """gunicorn with the repository's gunicorn.conf.py on a free loopback port, stopped (and
    its output read) when the block ends. Output goes to files: a pipe could fill and stall it."""
    server = Gunicorn(free_port(), tmp_path / "gunicorn.out", tmp_path / "gunicorn.err")
    command = [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{server.port}"]
    with server.out_path.open("wb") as out, server.err_path.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603 - fixed command, our own venv's gunicorn
            [*command, *args, app], cwd=REPO_ROOT, env=env, stdout=out, stderr=err
        )
        try:
            wait_until_answering(server.port, process, timeout=15)
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    server.stdout = server.out_path.read_text(encoding="utf-8", errors="replace")
    server.stderr = server.err_path.read_text(encoding="utf-8", errors="replace")


def lines_naming(output: str, address: str, port: int) -> list[str]:
    """The lines that contain `address`, but for gunicorn's start-up line naming the address
    *we bound* ("Listening at: http://127.0.0.1:<port> (<pid>)"), the server's, not a client's.
    Exactly one such line must be there."""
    listening = f"Listening at: http://127.0.0.1:{port} ("
    lines = output.splitlines()
    others = [line for line in lines if listening not in line]
    assert len(others) == len(lines) - 1, "expected one Listening line"
    return [line for line in others if address in line]


def test_gunicorn_access_and_error_logs_have_no_address_or_user_agent(tmp_path):
    with running_gunicorn(tmp_path, gunicorn_env(tmp_path)) as server:
        statuses = send_canary_requests(server.port)
    assert statuses == [200, 404, 400], server.output

    # Access lines (stdout, gunicorn.conf.py's format) exist for every request.
    assert '"GET / HTTP/1.1" 200' in server.stdout
    assert '"GET /nope HTTP/1.1" 404' in server.stdout
    assert '"POST /language HTTP/1.1" 400' in server.stdout
    # No canary anywhere in stdout or stderr, startup lines included.
    assert leaked(server.output) == []
    # The loopback address is the real client address here, so it must not appear either.
    assert lines_naming(server.output, LOOPBACK, server.port) == []


# Requests gunicorn refuses itself, each with the text its error log gives the refusal. Some
# carry the canary addresses and user agent, or an IPv6 address, where a refusal could quote them.
LONG = b"a" * 9000
MALFORMED: dict[str, tuple[bytes, str]] = {
    "bad HTTP version": (b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", "Invalid HTTP Version"),
    "bad header name": (
        b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: " + USER_AGENT.encode() + b"\r\n"
        b"Bad Header\x01: y\r\n\r\n",
        "Invalid HTTP header name",
    ),
    "request line too long": (
        b"GET /" + LONG + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "Request Line is too large",
    ),
    "header too long": (
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + LONG + b"\r\n\r\n",
        "limit request headers fields size",
    ),
    "too many headers": (
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: y\r\n" % i for i in range(150)) + b"\r\n",
        "limit request headers fields",
    ),
    "bad chunk size": (
        b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n",
        "Invalid chunk size",
    ),
    "garbage bytes for a method": (b"\x00\x01\x02\xff / HTTP/1.1\r\n\r\n", "Invalid HTTP method"),
    "PROXY line, IPv4": (
        f"PROXY TCP4 {REMOTE_ADDR} {FORWARDED_FOR} 1234 80\r\n".encode()
        + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "Invalid HTTP request line",
    ),
    "PROXY line, IPv6": (
        b"PROXY TCP6 2001:db8::23 ::1 1234 80\r\nGET / HTTP/1.1\r\n\r\n",
        "Invalid HTTP request line",
    ),
    "two body lengths": (
        b"POST /language HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: "
        + FORWARDED_FOR.encode()
        + b"\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Invalid HTTP Header",
    ),
}


def test_gunicorn_refuses_malformed_requests_without_logging_an_address(tmp_path):
    with running_gunicorn(tmp_path, gunicorn_env(tmp_path)) as server:
        answers = {name: send_raw(server.port, raw) for name, (raw, _) in MALFORMED.items()}

    # Every request got an answer, and gunicorn logged each refusal ...
    assert all(answer.startswith(b"HTTP/1.1 ") for answer in answers.values()), answers
    for name, (_, logged) in MALFORMED.items():
        assert logged in server.stderr, name
    # ... without the client's address, the addresses and user agent the requests carried,
    # or the IPv6 addresses of a PROXY line.
    assert leaked(server.output, (*CANARIES, "2001:db8::23", " ::1 ")) == []
    assert lines_naming(server.output, LOOPBACK, server.port) == []


# --- d. the logger class on its own ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Invalid request from ip=127.0.0.1: bad", "Invalid request from ip=<address>: bad"),
        ("peer 203.0.113.99:51234 went away.", "peer <address> went away."),
        ("from [2001:db8::7]:443 and fe80::1%eth0", "from <address> and <address>%eth0"),
        ("mapped ::ffff:192.0.2.77 or ::1.", "mapped <address> or <address>."),
        (
            "gunicorn 27.0.1 at 14:22:54, version 1.2.3.4.5",
            "gunicorn 27.0.1 at 14:22:54, version 1.2.3.4.5",
        ),
    ],
)
def test_addresses_are_hidden_and_look_alikes_kept(text, shown):
    assert hide_addresses(text) == shown


@pytest.fixture
def anonymous_logger() -> Iterator[AnonymousLogger]:
    """The logger class as gunicorn builds it; its handlers and filters removed afterwards."""
    logger = AnonymousLogger(Config())
    yield logger
    for log in (logger.error_log, logger.access_log):
        for handler in [h for h in log.handlers if getattr(h, "_gunicorn", False)]:
            log.removeHandler(handler)
        for log_filter in [f for f in log.filters if isinstance(f, HideAddresses)]:
            log.removeFilter(log_filter)


def test_error_log_hides_addresses_but_the_servers_own(anonymous_logger, caplog):
    caplog.set_level(logging.DEBUG, logger="gunicorn.error")
    anonymous_logger.error_log.addHandler(caplog.handler)  # gunicorn's loggers do not propagate
    try:
        anonymous_logger.warning("Invalid request from ip=%s: %s", REMOTE_ADDR, "bad")
        anonymous_logger.info("Listening at: %s (%s)", "http://127.0.0.1:8000", 1)
    finally:
        anonymous_logger.error_log.removeHandler(caplog.handler)

    assert "Invalid request from ip=<address>: bad" in caplog.text
    assert leaked(caplog.text) == []
    assert "Listening at: http://127.0.0.1:8000 (1)" in caplog.text


def test_tracebacks_lose_their_addresses_too():
    reason = f"connection from {FORWARDED_FOR} reset"  # off the raising line, which is shown
    try:
        raise OSError(reason)
    except OSError:
        # Made directly, not through the app's record factory (which withholds the message).
        record = logging.LogRecord(
            "gunicorn.error", logging.ERROR, __file__, 1, "Socket error", (), sys.exc_info()
        )

    assert HideAddresses().filter(record)
    written = logging.Formatter().format(record)
    # The traceback keeps its type and code lines; its message, which named the address, goes
    assert f"OSError: {WITHHELD}" in written
    assert "connection from" not in written
    assert leaked(written) == []


def test_access_log_atoms_name_no_client(anonymous_logger):
    """Even a format asking for the address, user agent and forwarded-for header gets '-'."""
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": REMOTE_ADDR,
        "HTTP_USER_AGENT": USER_AGENT,
        "HTTP_REFERER": f"http://{REAL_IP}/",
    }
    request = SimpleNamespace(headers=[(name, value) for name, value in CANARY_HEADERS.items()])
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    atoms = SafeAtoms(anonymous_logger.atoms(response, request, environ, timedelta(seconds=1)))
    line = (
        '%(h)s %(l)s %(u)s "%(r)s" %(s)s "%(f)s" "%(a)s" %({x-forwarded-for}i)s %({remote_addr}e)s'
    )
    formatted = line % atoms

    assert '"GET / HTTP/1.1" 200' in formatted
    assert leaked(formatted) == []
