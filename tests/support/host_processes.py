"""Real app processes for tests that run a deployment: gunicorn servers and schedulers as
subprocesses, and a reporter's browser (without JavaScript) that talks to any of them.

Each process runs in a process group of its own (gunicorn's master and its worker go
together), from the repository root, with stdout and stderr in one log file: a pipe could
fill and stall it.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from advisory.settings import PROJECT_ROOT
from tests.reporter_helpers import Page

LOOPBACK = "127.0.0.1"
GUNICORN = Path(sys.executable).parent / "gunicorn"
SCHEDULER = [sys.executable, "-m", "flask", "--app", "advisory", "scheduler"]


@dataclass
class Service:
    """A running subprocess, its log file and, for a server, its port."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        with suppress(ProcessLookupError):  # the whole group has gone already
            os.killpg(self.process.pid, signum)


def start(
    name: str, command: list[str], env: dict[str, str], folder: Path, port: int = 0
) -> Service:
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed commands, our own venv's programs
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    return Service(name, process, log_path, port)


def start_gunicorn(name: str, port: int, env: dict[str, str], folder: Path) -> Service:
    """gunicorn with the repository's gunicorn.conf.py, serving `wsgi:app` on `port`."""
    bind = ["--bind", f"{LOOPBACK}:{port}"]
    return start(
        name, [str(GUNICORN), "-c", "gunicorn.conf.py", *bind, "wsgi:app"], env, folder, port
    )


def start_scheduler(name: str, env: dict[str, str], folder: Path) -> Service:
    """`flask --app advisory scheduler`, with the pid the lock's owner names."""
    return start(name, SCHEDULER, env, folder)


def stop_all(services: list[Service]) -> None:
    """SIGKILL to every process group, and wait for each: nothing is left running, however
    the test went (their logs are written as they go; a graceful gunicorn stop takes seconds)."""
    for service in services:
        service.signal_group(signal.SIGKILL)
    for service in services:
        service.process.wait()


def wait_until(
    what: str, condition: Callable[[], bool], timeout: float, *watched: Service
) -> float:
    """Poll `condition` until it holds; fail at once if a watched process died. Returns the
    seconds waited."""
    started = time.monotonic()
    while not condition():
        for service in watched:
            if not service.running():
                pytest.fail(f"{service.name} exited ({service.process.returncode}):\n{service.log}")
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


def healthy(server: Service) -> Callable[[], bool]:
    """Whether `server` answers /healthz, for `wait_until`."""

    def answers() -> bool:
        connection = http.client.HTTPConnection(LOOPBACK, server.port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    return answers


def logged(service: Service, text: str) -> Callable[[], bool]:
    """Whether `service` has written `text` to its log, for `wait_until`."""
    return lambda: text in service.log


# --- a reporter's browser, without JavaScript --------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    text: str

    @property
    def page(self) -> Page:
        return Page(self.text)


@dataclass
class Browser:
    """One cookie jar for the site, whichever server a balancer sends a request to."""

    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, server: Service, path: str) -> Answer:
        return self._send(server, "GET", path, None)

    def post(self, server: Service, path: str, fields: dict[str, str]) -> Answer:
        return self._send(server, "POST", path, fields)

    def _send(
        self, server: Service, method: str, path: str, fields: dict[str, str] | None
    ) -> Answer:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(fields)
        connection = http.client.HTTPConnection(LOOPBACK, server.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            jar: SimpleCookie = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            self.cookies.update({name: morsel.value for name, morsel in jar.items()})
            return Answer(response.status, response.headers.get("Location", ""), text)
        finally:
            connection.close()
