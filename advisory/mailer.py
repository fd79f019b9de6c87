"""Mail transport: one SMTP connection and a plain-text message, nothing about cases.

What a mail says, and to whom, is the outbox's business (`advisory.services.outbox`); when it
goes, the mail sweep's (`advisory.jobs`). Plain text only, no Reply-To, no tracking.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from advisory.settings import SmtpSettings

SMTP_TIMEOUT_SECONDS = 10

Deliver = Callable[[EmailMessage], object]
Connect = Callable[[SmtpSettings], AbstractContextManager[Deliver]]


@contextmanager
def smtp_connection(smtp: SmtpSettings) -> Iterator[Deliver]:
    """One SMTP connection (STARTTLS and login as configured); yields a function that sends."""
    client = smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        yield client.send_message
    finally:
        try:
            client.quit()
        except OSError:  # smtplib's errors are OSErrors; the mails already went (or did not)
            client.close()


def compose(*, subject: str, body: str, sender: str, recipient: str, now: datetime) -> EmailMessage:
    """A plain-text message with the given subject and body, and nothing else of ours."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message.set_content(body)
    return message


def _domain(sender: str) -> str | None:
    _, _, domain = sender.rpartition("@")
    return domain.strip("> ") or None
