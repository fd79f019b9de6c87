"""An SMTP server on loopback that keeps what it is sent, for tests whose mail comes from
another process (a real scheduler): aiosmtpd in a thread of the test process.

    with running_smtp_sink() as sink:
        ...  # point ADVISORY_SMTP_HOST / ADVISORY_SMTP_PORT at sink.port
        sink.wait_for(expected, timeout=10)
        assert sink.pairs() == expected
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Mail:
    recipients: tuple[str, ...]
    subject: str
    raw: bytes


@dataclass
class SmtpSink:
    """aiosmtpd handler: keeps every mail it accepts, in arrival order."""

    port: int = 0
    _mails: list[Mail] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=policy.default)
        mail = Mail(tuple(envelope.rcpt_tos), str(parsed["Subject"]), raw)
        with self._lock:
            self._mails.append(mail)
        return "250 Message accepted for delivery"

    @property
    def mails(self) -> list[Mail]:
        with self._lock:
            return list(self._mails)

    def pairs(self) -> Counter[tuple[str, str]]:
        """(recipient, subject) of every mail received, counted."""
        return Counter(
            (recipient, mail.subject) for mail in self.mails for recipient in mail.recipients
        )

    def wait_for(self, expected: Counter[tuple[str, str]], timeout: float) -> float:
        """Wait until every expected (recipient, subject) has arrived at least as often as
        expected; returns the seconds waited. Extra or repeated mails are the caller's to
        judge (compare `pairs()` afterwards)."""
        started = time.monotonic()
        while True:
            missing = expected - self.pairs()
            if not missing:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise AssertionError(f"mails still missing after {timeout} s: {dict(missing)}")
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp_sink() -> Iterator[SmtpSink]:
    """A sink listening on a free loopback port until the block ends."""
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname=HOST, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
