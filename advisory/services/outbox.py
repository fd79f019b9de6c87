"""The mail outbox: which notifications are due a mail, to whom, and with what words.

A mail says what `describe()` says (the kind of event and the public case reference) plus
fixed text; no envelope, phone number, narrative, message or any other case column ever goes
into one. An audit log anchor's mail also carries the anchor (an event number and a MAC) and
what it is for.

Sending is claim-then-send: a sweep stamps the notifications it takes (`claim`), so two sweeps
never mail the same one, and a claim older than `STALE_CLAIM` belongs to a sweep that died and
may be taken again. Like every service this flushes; the delivery sweep decides when to commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from advisory.audit import Anchor
from advisory.models import Case, Line, Notification, Staff
from advisory.services.notifications import (
    NotificationKind,
    declined_by,
    describe,
    of_the_cases_line,
)

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


@dataclass(frozen=True)
class Outgoing:
    """One claimed notification, its words and who gets it."""

    notification: Notification
    subject: str
    body: str
    addresses: list[str]
    sender: str | None = None  # the case's line's own sender; None: the deployment's


def recipients_for(session: Session, notification: Notification) -> list[str]:
    """Addresses of the active staff a notification is for; staff without one are skipped."""
    query = select(Staff.email).where(Staff.active.is_(True), Staff.email.is_not(None))
    if notification.staff_id is not None:
        query = query.where(Staff.id == notification.staff_id)
    elif notification.role is not None:
        query = query.where(Staff.role == notification.role)
    else:
        return []
    if notification.case_reference is not None:  # never to someone who declined the case,
        reference = notification.case_reference  # nor to another line's staff
        query = query.where(
            Staff.id.not_in(declined_by(reference)), Staff.id.in_(of_the_cases_line(reference))
        )
    addresses = (address.strip() for address in session.scalars(query) if address)
    return sorted({address for address in addresses if _usable(address)})


def _line_sender(session: Session, reference: str | None) -> str | None:
    """The sender its line set for mail about a case, if it set one."""
    if reference is None:
        return None
    query = select(Line.smtp_sender).join(Case, Case.line_id == Line.id)
    sender = session.scalar(query.where(Case.reference == reference))
    return sender or None


def claim(session: Session, now: datetime) -> list[int]:
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


def address(session: Session, claimed: Sequence[int], now: datetime) -> tuple[list[Outgoing], int]:
    """The mails for the claimed notifications, oldest first; a notification nobody can
    receive is marked mailed. Returns the mails and how many had no recipient."""
    outgoing: list[Outgoing] = []
    without_recipients = 0
    query = (
        select(Notification)
        .where(Notification.id.in_(claimed))
        .order_by(Notification.created_at, Notification.id)
    )
    for notification in session.scalars(query).all():
        addresses = recipients_for(session, notification)
        if addresses:
            subject = describe(notification)
            body = _body(notification, subject)
            sender = _line_sender(session, notification.case_reference)
            outgoing.append(Outgoing(notification, subject, body, addresses, sender))
        else:
            notification.emailed_at = now
            without_recipients += 1
    session.flush()
    return outgoing, without_recipients


def release(session: Session, notification_ids: Sequence[int]) -> None:
    """Give up the claims on notifications not mailed, so that the next sweep retries them."""
    if not notification_ids:
        return
    session.execute(
        update(Notification)
        .where(Notification.id.in_(notification_ids), Notification.emailed_at.is_(None))
        .values(email_claimed_at=None)
        .execution_options(synchronize_session=False)
    )


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


def _usable(address: str) -> bool:
    """One plain address: no spaces or control characters that could bend the headers."""
    if len(address) > MAX_ADDRESS_LENGTH or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    return bool(local and domain) and all(33 <= ord(char) < 127 for char in address)
