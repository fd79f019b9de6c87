"""E-mail for staff notifications over SMTP: a nudge to sign in, never case content.

Used only when SMTP is configured (`Settings.smtp`). A mail says what `describe()` says — the
kind of event and the public case reference — plus fixed text; no envelope, phone number,
narrative, message or any other case column ever goes into one. An audit log anchor's mail
also carries the anchor (an event number and a MAC) and what it is for. Plain text only, no
Reply-To, no tracking.

The outbox is its own commit boundary, unlike the service layer: a mail, once sent, cannot be
rolled back, so `send_pending` commits its claim before sending and each delivery after it.
Claim-then-send means a sweep that crashes never mails twice in the common case; only a crash
between handing a mail to the server and committing that fact repeats it, once its claim goes
stale (`STALE_CLAIM`). Run it in a session of its own (a scheduler job), never inside a request.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from advisory.audit import Anchor
from advisory.models import Notification, Staff
from advisory.services.notifications import NotificationKind, declined_by, describe
from advisory.settings import SmtpSettings

logger = logging.getLogger("advisory.mailer")

SMTP_TIMEOUT_SECONDS = 10
# A claim older than this belongs to a sweep that died; its notifications may be claimed again.
STALE_CLAIM = timedelta(minutes=10)
# Older notifications stay in-app only: a week-old nudge by mail helps nobody.
MAX_AGE = timedelta(days=7)
# Claimed per sweep; the rest wait for the next tick.
BATCH_SIZE = 100
MAX_ADDRESS_LENGTH = 254

BODY = """\
There is a new notification for you on the advisory line:

    {subject}

Sign in to the queue to see the details. This e-mail says nothing more on purpose:
case content stays in the system.

This message was sent automatically; replies are not read.
"""

# An audit log anchor: the one mail that carries more than a subject, and still no case content.
ANCHOR_BODY = """\
The advisory line's audit log, as it stood at {at} (UTC), ends at this record:

    {anchor}

Keep this e-mail, or the line above, somewhere outside the system. Later,

    flask --app advisory audit verify --anchor {anchor}

checks the log against it: the check fails if any event up to this one was changed or
removed, or if the log was cut short after it.

This message was sent automatically; replies are not read.
"""

Deliver = Callable[[EmailMessage], object]
Connect = Callable[[SmtpSettings], AbstractContextManager[Deliver]]


class MailUnavailable(Exception):
    """The mail server could not be reached or broke off; unsent notifications were released."""


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


def recipients_for(session: Session, notification: Notification) -> list[str]:
    """Addresses of the active staff a notification is for; staff without one are skipped."""
    query = select(Staff.email).where(Staff.active.is_(True), Staff.email.is_not(None))
    if notification.staff_id is not None:
        query = query.where(Staff.id == notification.staff_id)
    elif notification.role is not None:
        query = query.where(Staff.role == notification.role)
    else:
        return []
    if notification.case_reference is not None:  # never to someone who declined the case
        query = query.where(Staff.id.not_in(declined_by(notification.case_reference)))
    addresses = (address.strip() for address in session.scalars(query) if address)
    return sorted({address for address in addresses if _usable(address)})


def compose(
    notification: Notification, *, sender: str, recipient: str, now: datetime
) -> EmailMessage:
    """The mail for one recipient: subject from `describe()`, fixed body, nothing else."""
    subject = describe(notification)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    message.set_content(_body(notification, subject))
    return message


def _body(notification: Notification, subject: str) -> str:
    if notification.kind == NotificationKind.AUDIT_ANCHOR:
        # Parsed again, so nothing but SEQ:DIGEST can ride into the mail through this field;
        # a damaged one leaves the plain nudge.
        try:
            anchor = Anchor.parse(notification.audit_anchor or "")
        except ValueError:
            return BODY.format(subject=subject)
        at = f"{notification.created_at.astimezone(UTC):%Y-%m-%d %H:%M}"
        return ANCHOR_BODY.format(anchor=anchor, at=at)
    return BODY.format(subject=subject)


def send_pending(
    session: Session,
    smtp: SmtpSettings,
    *,
    now: datetime,
    connect: Connect = smtp_connection,
) -> int:
    """The outbox sweep: claim unsent notifications, mail them, mark them mailed; commits.

    Returns how many mails went out (one per recipient). A notification whose recipients have
    no usable address is marked mailed without sending. If the server cannot be reached or
    breaks off, the claims on what was not yet mailed are released (so the next tick retries)
    and MailUnavailable is raised. A single address the server refuses is skipped.
    """
    claimed = _claim(session, now)
    session.commit()
    if not claimed:
        return 0

    outbox, without_recipients = _address(session, claimed, now)
    session.commit()

    sent = refused = 0
    done = 0
    try:
        if outbox:
            with connect(smtp) as deliver:
                for notification, addresses in outbox:
                    for address in addresses:
                        message = compose(
                            notification, sender=smtp.sender, recipient=address, now=now
                        )
                        try:
                            deliver(message)
                        except smtplib.SMTPRecipientsRefused:
                            refused += 1
                            continue
                        sent += 1
                    notification.emailed_at = now
                    session.commit()
                    done += 1
    except OSError as exc:  # includes every smtplib error and timeouts
        _release(session, [notification.id for notification, _ in outbox[done:]])
        session.commit()
        logger.warning(
            "mail server unavailable (%s): %d mails sent, %d notifications left for the next sweep",
            exc.__class__.__name__,
            sent,
            len(outbox) - done,
        )
        raise MailUnavailable(f"cannot send notification mail via {smtp.host}:{smtp.port}") from exc

    logger.info(
        "notification mail: %d sent for %d notifications, %d addresses refused, "
        "%d notifications without recipients",
        sent,
        done,
        refused,
        without_recipients,
    )
    return sent


def _address(
    session: Session, claimed: Sequence[int], now: datetime
) -> tuple[list[tuple[Notification, list[str]]], int]:
    """Pair each claimed notification with its addresses; one nobody can receive is done."""
    outbox: list[tuple[Notification, list[str]]] = []
    without_recipients = 0
    query = (
        select(Notification)
        .where(Notification.id.in_(claimed))
        .order_by(Notification.created_at, Notification.id)
    )
    for notification in session.scalars(query).all():
        addresses = recipients_for(session, notification)
        if addresses:
            outbox.append((notification, addresses))
        else:
            notification.emailed_at = now
            without_recipients += 1
    return outbox, without_recipients


def _claim(session: Session, now: datetime) -> list[int]:
    """Stamp up to BATCH_SIZE claimable notifications with `now`; returns the ids this run got.

    One conditional UPDATE: a concurrent sweep that claimed a row first makes the condition
    false for it here (PostgreSQL re-checks it after the row lock), so no row has two owners.
    """
    claimable = (
        Notification.emailed_at.is_(None),
        Notification.created_at >= now - MAX_AGE,
        or_(
            Notification.email_claimed_at.is_(None),
            Notification.email_claimed_at < now - STALE_CLAIM,
        ),
    )
    batch = (
        select(Notification.id)
        .where(*claimable)
        .order_by(Notification.created_at, Notification.id)
        .limit(BATCH_SIZE)
    )
    result = session.execute(
        update(Notification)
        .where(Notification.id.in_(batch.scalar_subquery()), *claimable)
        .values(email_claimed_at=now)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


def _release(session: Session, notification_ids: Sequence[int]) -> None:
    if not notification_ids:
        return
    session.execute(
        update(Notification)
        .where(Notification.id.in_(notification_ids), Notification.emailed_at.is_(None))
        .values(email_claimed_at=None)
        .execution_options(synchronize_session=False)
    )


def _usable(address: str) -> bool:
    """One plain address: no spaces or control characters that could bend the headers."""
    if len(address) > MAX_ADDRESS_LENGTH or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    return bool(local and domain) and all(33 <= ord(char) < 127 for char in address)


def _domain(sender: str) -> str | None:
    _, _, domain = sender.rpartition("@")
    return domain.strip("> ") or None
