"""Scheduler sweeps: which service runs at each tick, and the mail sweep's own commits.

Every sweep looks at state, never at "events fired", so a sweep that crashed or a scheduler
that was down simply catches up at the next tick, and notifications are guarded by dedupe
keys so nothing is announced twice. The rules themselves live in the services; a sweep only
runs one. Sweeps log counts, never case content.

The scheduler commits after each sweep. The mail sweep alone commits as it goes: a mail, once
sent, cannot be rolled back, so it commits its claim before sending and each delivery after
it. Only a crash between handing a mail to the server and committing that fact repeats a
mail, once its claim goes stale.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from advisory.mailer import Connect, compose, smtp_connection
from advisory.services import outbox
from advisory.services.audit_anchors import send_daily_anchor
from advisory.services.callback_follow_up import follow_up_callbacks
from advisory.services.deadline_watch import watch_deadlines
from advisory.services.line_settings import figures_calendar
from advisory.services.retention import apply_retention
from advisory.services.rollup import fold_settled_cases
from advisory.settings import Settings, SmtpSettings

logger = logging.getLogger(__name__)

Sweep = Callable[[Session, Settings, datetime], int]


class MailUnavailable(Exception):
    """The mail server could not be reached or broke off; unsent notifications were released."""


def sweep_statistics(session: Session, settings: Settings, now: datetime) -> int:
    """Count closed cases in the daily and monthly figures, once their callbacks are settled,
    each in its own line's calendar."""
    return fold_settled_cases(session)


def sweep_audit_anchor(session: Session, settings: Settings, now: datetime) -> int:
    """Once a day, note the audit log's head for the coordinators to keep (and mail it). The
    day is the figures' (the first line's) until per-line figures replace it."""
    timezone = figures_calendar(session).timezone
    return int(send_daily_anchor(session, now=now, timezone=timezone))


def sweep_mail(session: Session, settings: Settings, now: datetime) -> int:
    """Send pending notifications by e-mail, if SMTP is configured (commits per message)."""
    if settings.smtp is None:
        return 0
    try:
        return send_pending(session, settings.smtp, now=now)
    except MailUnavailable as exc:
        logger.warning("mail server unavailable (%s); will retry", type(exc.__cause__).__name__)
        return 0


def send_pending(
    session: Session, smtp: SmtpSettings, *, now: datetime, connect: Connect = smtp_connection
) -> int:
    """Claim unsent notifications, mail them, mark them mailed; commits.

    Returns how many mails went out (one per recipient). A notification whose recipients have
    no usable address is marked mailed without sending. If the server cannot be reached or
    breaks off, the claims on what was not yet mailed are released (so the next tick retries)
    and MailUnavailable is raised. A single address the server refuses is skipped.
    """
    claimed = outbox.claim(session, now)
    session.commit()
    if not claimed:
        return 0
    outgoing, without_recipients = outbox.address(session, claimed, now)
    session.commit()
    delivery = _Delivery(session, smtp, now)
    try:
        if outgoing:
            with connect(smtp) as deliver:
                delivery.run(outgoing, deliver)
    except OSError as exc:  # includes every smtplib error and timeouts
        outbox.release(session, [mail.notification.id for mail in outgoing[delivery.done :]])
        session.commit()
        logger.warning(
            "mail server unavailable (%s): %d mails sent, %d notifications left for the next sweep",
            exc.__class__.__name__,
            delivery.sent,
            len(outgoing) - delivery.done,
        )
        raise MailUnavailable(f"cannot send notification mail via {smtp.host}:{smtp.port}") from exc
    logger.info(
        "notification mail: %d sent for %d notifications, %d addresses refused, "
        "%d notifications without recipients",
        delivery.sent,
        delivery.done,
        delivery.refused,
        without_recipients,
    )
    return delivery.sent


class _Delivery:
    """Mails claimed notifications one by one, committing each; counts what happened."""

    def __init__(self, session: Session, smtp: SmtpSettings, now: datetime) -> None:
        self.session, self.sender, self.now = session, smtp.sender, now
        self.sent = self.refused = self.done = 0

    def run(self, outgoing: Sequence[outbox.Outgoing], deliver: Callable[..., object]) -> None:
        for mail in outgoing:
            for address in mail.addresses:
                self._send(mail, address, deliver)
            mail.notification.emailed_at = self.now
            self.session.commit()
            self.done += 1

    def _send(self, mail: outbox.Outgoing, address: str, deliver: Callable[..., object]) -> None:
        message = compose(
            subject=mail.subject,
            body=mail.body,
            sender=mail.sender or self.sender,
            recipient=address,
            now=self.now,
        )
        try:
            deliver(message)
        except smtplib.SMTPRecipientsRefused:
            self.refused += 1
            return
        self.sent += 1


SWEEPS: dict[str, Sweep] = {
    "deadlines": watch_deadlines,
    "callbacks": follow_up_callbacks,
    "statistics": sweep_statistics,  # after callbacks: a missed one settles first
    "retention": apply_retention,
    "audit_anchor": sweep_audit_anchor,
    "mail": sweep_mail,  # last: mails what the sweeps before it noted
}
