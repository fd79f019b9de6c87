"""Notification mail through a real SMTP server on loopback (aiosmtpd): content-free, once each.

The case behind the notifications has a sealed narrative, a sealed message and a sealed callback
number, each with a canary plaintext; no raw mail may carry any of them, nor any envelope.
`send_pending` commits; inside the `db_session` fixture those commits release savepoints.
"""

from __future__ import annotations

import itertools
import logging
import socket
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import crypto
from advisory import audit
from advisory.jobs import MailUnavailable, send_pending
from advisory.models import (
    Callback,
    Case,
    CaseDecline,
    ContactPreference,
    Direction,
    Kind,
    Line,
    LineKey,
    Message,
    Notification,
    Role,
    Staff,
)
from advisory.services.audit_anchors import send_anchor
from advisory.services.notifications import (
    NotificationKind,
    announce_new_case,
    describe,
    notify,
    tell_assignee,
)
from advisory.services.outbox import ANCHOR_BODY, BODY, recipients_for
from advisory.settings import SmtpSettings
from tests.conftest import DEFAULT_NOW, new_case, unusable_staff

NOW = DEFAULT_NOW
REFERENCE = "K7QF-9M2X"
SENDER = "Advisory Line <noreply@advisory.example>"
NARRATIVE = "CANARY-NARRATIVE-5b1e: the director at the theatre kept"
MESSAGE = "CANARY-MESSAGE-a93c: one more thing I remembered"
PHONE = "+47 912 34 567"
# The number as written, and the ways a template might have reformatted it.
PHONE_FORMS = (PHONE, "912 34 567", "91234567", "4791234567")

# Kinds about a case (an audit log anchor is about the log, and carries the anchor instead).
CASE_KINDS = [kind for kind in NotificationKind if kind is not NotificationKind.AUDIT_ANCHOR]

ADA = "ada@line.example"
BO = "bo@line.example"
DAG = "dag@line.example"
EVA = "eva@line.example"


# --- a real SMTP server on loopback -------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def parsed(self) -> EmailMessage:
        message = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Collector:
    """aiosmtpd handler: keeps every mail; refuses, or hangs up on, chosen recipients."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    hang_up_for: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        if self.hang_up_for.intersection(envelope.rcpt_tos):
            return "421 4.3.0 service closing"
        raw = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw))
        return "250 Message accepted for delivery"

    def pairs(self) -> Counter[tuple[str, str]]:
        """(recipient, subject) for every mail received."""
        return Counter(
            (address, str(mail.parsed["Subject"]))
            for mail in self.received
            for address in mail.rcpt_tos
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def settings_for(port: int, **overrides: Any) -> SmtpSettings:
    fields: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "sender": SENDER,
        "username": None,
        "password": None,
    }
    return SmtpSettings(**{**fields, **overrides})


@pytest.fixture
def start_server() -> Iterator[Callable[..., tuple[Collector, SmtpSettings]]]:
    """Start an SMTP server on a free loopback port; every one is stopped after the test."""
    controllers: list[Controller] = []

    def start_server(**controller_options: Any) -> tuple[Collector, SmtpSettings]:
        collector = Collector()
        port = free_port()
        controller = Controller(collector, hostname="127.0.0.1", port=port, **controller_options)
        controller.start()
        controllers.append(controller)
        return collector, settings_for(port)

    yield start_server
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server(start_server) -> tuple[Collector, SmtpSettings]:
    return start_server()


# --- a case full of secrets, and the staff around it --------------------------------------------


@dataclass
class Scene:
    case: Case
    envelopes: list[str]
    key_id: str
    staff: dict[str, Staff]


@pytest.fixture
def scene(db_session) -> Scene:
    line = Line(slug="test", name="Test line", created_at=NOW)
    db_session.add(line)
    db_session.flush()
    private_key = crypto.generate_keypair()
    public_key = private_key.public_key()
    key_id = crypto.key_id_for(public_key)
    db_session.add(
        LineKey(
            line=line,
            key_id=key_id,
            public_key=crypto.public_key_to_text(public_key),
            created_at=NOW,
        )
    )
    narrative = crypto.seal("narrative", NARRATIVE, public_key)
    message = crypto.seal("message", MESSAGE, public_key)
    contact = crypto.seal("contact", PHONE, public_key)
    case = new_case(
        line.id,
        reference=REFERENCE,
        received_at=NOW - timedelta(hours=2),
        kind=Kind.ABUSE_OF_POWER,
        contact_preference=ContactPreference.CALLBACK,
        priority=2,
        callback_due_at=NOW + timedelta(hours=5),
        narrative_envelope=narrative,
        messages=[
            Message(direction=Direction.FROM_REPORTER, envelope=message, created_at=NOW),
        ],
        callbacks=[
            Callback(
                slot_start=NOW + timedelta(hours=1),
                slot_end=NOW + timedelta(hours=1, minutes=30),
                contact_envelope=contact,
            )
        ],
    )
    db_session.add(case)

    def person(name: str, role: Role, email: str | None, active: bool = True) -> Staff:
        return unusable_staff(
            role,
            username=name,
            line_id=line.id if role is Role.LAWYER else None,
            email=email,
            active=active,
            created_at=NOW,
        )

    staff = {
        "ada": person("ada", Role.LAWYER, ADA),
        "bo": person("bo", Role.LAWYER, BO),
        "cy": person("cy", Role.LAWYER, None),  # no address
        "dag": person("dag", Role.LAWYER, DAG, active=False),  # left the line
        "eva": person("eva", Role.COORDINATOR, EVA),
    }
    db_session.add_all(staff.values())
    db_session.flush()
    return Scene(case, [narrative, message, contact], key_id, staff)


@pytest.fixture
def note(db_session, scene) -> Callable[..., Notification]:
    """Notify about the scene's case; `minutes_ago` sets when the note was created."""
    numbers = itertools.count(1)

    def note(kind: NotificationKind, *, minutes_ago: int = 60, to: str | Role) -> Notification:
        recipient: dict[str, Any] = (
            {"role": to} if isinstance(to, Role) else {"staff_id": scene.staff[to].id}
        )
        created = notify(
            db_session,
            kind=kind,
            dedupe_key=f"{kind}:{next(numbers)}",
            now=NOW - timedelta(minutes=minutes_ago),
            case_reference=scene.case.reference,
            **recipient,
        )
        assert created is not None
        return created

    return note


def forbidden_strings(scene: Scene) -> list[str]:
    """Everything of the case that must never leave the system by mail."""
    needles = [NARRATIVE, MESSAGE, "CANARY", *PHONE_FORMS, "v1.", scene.key_id]
    for envelope in scene.envelopes:
        payload = envelope.split(".")[2]
        needles += [envelope, payload[:24], payload[-24:]]
    return needles


def state(db_session, notification: Notification) -> tuple[Any, Any]:
    db_session.refresh(notification)
    return notification.email_claimed_at, notification.emailed_at


# --- the sweep ----------------------------------------------------------------------------------


def test_each_recipient_gets_one_content_free_mail_per_notification(
    db_session, scene, note, smtp_server
):
    # Given notes for one lawyer, for all lawyers, for coordinators, and for staff who
    # cannot receive mail (no address; inactive)
    collector, smtp = smtp_server
    at_risk = note(NotificationKind.DEADLINE_AT_RISK, to="ada")
    missed = note(NotificationKind.CALLBACK_MISSED, to=Role.LAWYER)
    breached = note(NotificationKind.DEADLINE_BREACHED, to=Role.COORDINATOR)
    for_cy = note(NotificationKind.CALLBACK_REMINDER, to="cy")
    for_dag = note(NotificationKind.CASE_ASSIGNED, to="dag")

    # When the outbox is swept
    sent = send_pending(db_session, smtp, now=NOW)

    # Then each active recipient with an address got exactly one mail per note
    assert sent == 4
    assert collector.pairs() == Counter(
        {
            (ADA, "Deadline at risk: case K7QF-9M2X"): 1,
            (ADA, "Callback missed: case K7QF-9M2X"): 1,
            (BO, "Callback missed: case K7QF-9M2X"): 1,
            (EVA, "Deadline breached: case K7QF-9M2X"): 1,
        }
    )
    assert all(len(mail.rcpt_tos) == 1 for mail in collector.received)  # no shared To/Bcc
    assert all(mail.mail_from == "noreply@advisory.example" for mail in collector.received)
    # and every note, including the ones nobody could be mailed, is done
    for notification in (at_risk, missed, breached, for_cy, for_dag):
        assert state(db_session, notification) == (NOW, NOW)


def test_a_mail_names_the_kind_and_reference_and_nothing_of_the_case(
    db_session, scene, note, smtp_server
):
    collector, smtp = smtp_server
    notes = [note(kind, to="ada") for kind in CASE_KINDS]

    assert send_pending(db_session, smtp, now=NOW) == len(CASE_KINDS)

    forbidden = forbidden_strings(scene)
    subjects = {describe(notification) for notification in notes}
    assert {str(mail.parsed["Subject"]) for mail in collector.received} == subjects
    for mail in collector.received:
        raw = mail.raw.decode("utf-8")
        parsed = mail.parsed
        body = parsed.get_content().replace("\r\n", "\n")  # SMTP sends CRLF lines
        assert [needle for needle in forbidden if needle in raw or needle in body] == []
        assert REFERENCE in body
        assert "Sign in to the queue" in body
        # The fixed text around the subject line, and nothing else
        assert body == BODY.format(subject=parsed["Subject"])
        # Plain text only, nobody to reply to, nothing to track an open or a click
        assert parsed.get_content_type() == "text/plain"
        assert not parsed.is_multipart()
        assert parsed["Reply-To"] is None
        assert "http" not in raw.lower()
        assert set(parsed.keys()) == {
            "Subject",
            "From",
            "To",
            "Date",
            "Message-ID",
            "Auto-Submitted",
            "Content-Type",
            "Content-Transfer-Encoding",
            "MIME-Version",
        }


def test_an_anchor_mail_holds_the_anchor_and_what_it_is_for_and_nothing_else(
    db_session, scene, smtp_server
):
    # Given the audit log's head, anchored for the coordinators, beside a case full of secrets
    collector, smtp = smtp_server
    audit.record(db_session, action="case.opened", now=NOW, case_reference=REFERENCE)
    db_session.commit()
    sent = send_anchor(db_session, now=NOW)
    assert sent is not None

    # When the outbox is swept
    assert send_pending(db_session, smtp, now=NOW) == 1

    # Then the one coordinator with an address got the anchor, with the fixed text around it
    [mail] = collector.received
    assert mail.rcpt_tos == [EVA]
    assert str(mail.parsed["Subject"]) == "Audit log anchor"
    body = mail.parsed.get_content().replace("\r\n", "\n")
    assert body == ANCHOR_BODY.format(anchor=sent.anchor, at=f"{NOW:%Y-%m-%d %H:%M}")
    assert f"flask --app advisory audit verify --anchor {sent.anchor}" in body
    raw = mail.raw.decode("utf-8")
    assert [needle for needle in forbidden_strings(scene) if needle in raw] == []
    assert REFERENCE not in raw  # not even the reference of the audited case
    assert "http" not in raw.lower()


def test_an_anchor_changed_in_the_database_is_not_mailed(db_session, scene, smtp_server):
    # Given an anchor note whose anchor someone replaced with other text in the database
    collector, smtp = smtp_server
    audit.record(db_session, action="case.opened", now=NOW)
    db_session.commit()
    sent = send_anchor(db_session, now=NOW)
    assert sent is not None
    db_session.execute(sa.update(Notification).values(audit_anchor=f"1:{NARRATIVE}"[:100]))

    assert send_pending(db_session, smtp, now=NOW) == 1

    # Then the mail is the plain nudge, without the text
    [mail] = collector.received
    assert mail.parsed.get_content().replace("\r\n", "\n") == BODY.format(
        subject="Audit log anchor"
    )
    assert "CANARY" not in mail.raw.decode("utf-8")


def test_a_new_case_and_its_assignment_reach_the_lawyers_by_mail_once(
    db_session, scene, smtp_server
):
    # Given a case announced to the line and assigned to one lawyer, each announced twice
    collector, smtp = smtp_server
    case = scene.case
    case.assigned_lawyer_id = scene.staff["bo"].id
    for _ in range(2):
        announce_new_case(db_session, case, NOW)
        tell_assignee(db_session, case, "intake", NOW)

    # When the outbox is swept twice
    sent = send_pending(db_session, smtp, now=NOW) + send_pending(db_session, smtp, now=NOW)

    # Then every lawyer with an address heard of the case once, the assignee of the
    # assignment once, by subject line and fixed text only
    assert sent == 3
    assert collector.pairs() == Counter(
        {
            (ADA, "New case: case K7QF-9M2X"): 1,
            (BO, "New case: case K7QF-9M2X"): 1,
            (BO, "Case assigned: case K7QF-9M2X"): 1,
        }
    )
    for mail in collector.received:
        body = mail.parsed.get_content().replace("\r\n", "\n")
        assert body == BODY.format(subject=mail.parsed["Subject"])


def test_a_second_sweep_sends_nothing(db_session, scene, note, smtp_server):
    collector, smtp = smtp_server
    note(NotificationKind.DEADLINE_AT_RISK, to="ada")
    note(NotificationKind.DEADLINE_BREACHED, to=Role.COORDINATOR)
    assert send_pending(db_session, smtp, now=NOW) == 2

    assert send_pending(db_session, smtp, now=NOW + timedelta(minutes=1)) == 0
    assert send_pending(db_session, smtp, now=NOW + timedelta(hours=1)) == 0
    assert len(collector.received) == 2


def test_a_fresh_claim_is_left_alone_and_a_stale_one_is_taken_over(
    db_session, scene, note, smtp_server
):
    # Given two notes claimed by sweeps that crashed, one minute and eleven minutes ago
    collector, smtp = smtp_server
    recent = note(NotificationKind.DEADLINE_AT_RISK, to="ada")
    stale = note(NotificationKind.CALLBACK_MISSED, to="bo")
    recent.email_claimed_at = NOW - timedelta(minutes=1)
    stale.email_claimed_at = NOW - timedelta(minutes=11)
    db_session.flush()

    # When the outbox is swept (twice)
    assert send_pending(db_session, smtp, now=NOW) == 1
    assert send_pending(db_session, smtp, now=NOW + timedelta(seconds=30)) == 0

    # Then only the stale one went out, once; the fresh claim is still its owner's
    assert collector.pairs() == Counter({(BO, "Callback missed: case K7QF-9M2X"): 1})
    assert state(db_session, stale) == (NOW, NOW)
    assert state(db_session, recent) == (NOW - timedelta(minutes=1), None)

    # And once that claim is stale too, it is taken over
    later = NOW + timedelta(minutes=10)
    assert send_pending(db_session, smtp, now=later) == 1
    assert collector.pairs()[(ADA, "Deadline at risk: case K7QF-9M2X")] == 1
    assert state(db_session, recent) == (later, later)


def test_a_note_older_than_a_week_stays_in_app_only(db_session, scene, note, smtp_server):
    collector, smtp = smtp_server
    old = note(NotificationKind.DEADLINE_BREACHED, to="ada", minutes_ago=7 * 24 * 60 + 1)

    assert send_pending(db_session, smtp, now=NOW) == 0

    assert collector.received == []
    assert state(db_session, old) == (None, None)


def test_a_refused_address_is_skipped_and_the_others_still_get_the_mail(
    db_session, scene, note, smtp_server
):
    collector, smtp = smtp_server
    collector.refuse.add(ADA)
    missed = note(NotificationKind.CALLBACK_MISSED, to=Role.LAWYER)

    assert send_pending(db_session, smtp, now=NOW) == 1

    assert collector.pairs() == Counter({(BO, "Callback missed: case K7QF-9M2X"): 1})
    assert state(db_session, missed) == (NOW, NOW)


# --- when the server is not there ---------------------------------------------------------------


def test_with_the_server_down_nothing_is_lost_and_the_next_sweep_retries(
    db_session, scene, note, smtp_server
):
    # Given notes waiting, and a mail server that refuses connections
    collector, smtp = smtp_server
    at_risk = note(NotificationKind.DEADLINE_AT_RISK, to="ada")
    breached = note(NotificationKind.DEADLINE_BREACHED, to=Role.COORDINATOR)
    nobody_listens = settings_for(free_port())

    # When the outbox is swept
    with pytest.raises(MailUnavailable) as raised:
        send_pending(db_session, nobody_listens, now=NOW)

    # Then the sweep says so, and the claims are released at once
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)
    assert state(db_session, at_risk) == (None, None)
    assert state(db_session, breached) == (None, None)

    # And the next sweep, with the server back, sends them
    assert send_pending(db_session, smtp, now=NOW + timedelta(minutes=1)) == 2
    assert len(collector.received) == 2


def test_a_server_that_hangs_up_midway_keeps_what_was_sent_and_releases_the_rest(
    db_session, scene, note, smtp_server
):
    # Given three notes, and a server that hangs up when the second one reaches Ada
    collector, smtp = smtp_server
    first = note(NotificationKind.DEADLINE_BREACHED, to=Role.COORDINATOR, minutes_ago=3)
    second = note(NotificationKind.CALLBACK_MISSED, to=Role.LAWYER, minutes_ago=2)
    third = note(NotificationKind.CASE_ASSIGNED, to="bo", minutes_ago=1)
    collector.hang_up_for.add(ADA)

    with pytest.raises(MailUnavailable):
        send_pending(db_session, smtp, now=NOW)

    # Then the first stays sent; the others are free for the next sweep
    assert collector.pairs() == Counter({(EVA, "Deadline breached: case K7QF-9M2X"): 1})
    assert state(db_session, first) == (NOW, NOW)
    assert state(db_session, second) == (None, None)
    assert state(db_session, third) == (None, None)

    collector.hang_up_for.clear()
    assert send_pending(db_session, smtp, now=NOW + timedelta(minutes=1)) == 3
    assert collector.pairs() == Counter(
        {
            (EVA, "Deadline breached: case K7QF-9M2X"): 1,
            (ADA, "Callback missed: case K7QF-9M2X"): 1,
            (BO, "Callback missed: case K7QF-9M2X"): 1,
            (BO, "Case assigned: case K7QF-9M2X"): 1,
        }
    )


def test_starttls_is_required_when_configured_and_never_skipped(
    db_session, scene, note, smtp_server
):
    # The test server offers no STARTTLS: the mailer must not fall back to clear text.
    collector, smtp = smtp_server
    at_risk = note(NotificationKind.DEADLINE_AT_RISK, to="ada")
    wants_tls = settings_for(smtp.port, starttls=True)

    with pytest.raises(MailUnavailable):
        send_pending(db_session, wants_tls, now=NOW)

    assert collector.received == []
    assert state(db_session, at_risk) == (None, None)


def test_the_mailer_signs_in_when_a_username_is_configured(db_session, scene, note, start_server):
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"mail-secret")

    # AUTH offered without TLS: loopback only (requiring it too makes aiosmtpd warn)
    collector, smtp = start_server(authenticator=authenticator, auth_require_tls=False)
    note(NotificationKind.DEADLINE_AT_RISK, to="ada")
    signed_in = settings_for(smtp.port, username="advisory", password="mail-secret")

    assert send_pending(db_session, signed_in, now=NOW) == 1

    assert logins == [(b"advisory", b"mail-secret")]
    assert len(collector.received) == 1


# --- recipients and logs ------------------------------------------------------------------------


def test_recipients_are_the_active_staff_with_a_usable_address(db_session, scene, note):
    scene.staff["bo"].email = "bo@line.example\r\nBcc: outsider@elsewhere.example"
    db_session.flush()

    assert recipients_for(db_session, note(NotificationKind.CALLBACK_MISSED, to=Role.LAWYER)) == [
        ADA
    ]
    assert recipients_for(db_session, note(NotificationKind.CASE_ASSIGNED, to="ada")) == [ADA]
    assert recipients_for(db_session, note(NotificationKind.CASE_ASSIGNED, to="cy")) == []
    assert recipients_for(db_session, note(NotificationKind.CASE_ASSIGNED, to="dag")) == []
    assert recipients_for(db_session, note(NotificationKind.CASE_ASSIGNED, to="bo")) == []
    assert recipients_for(db_session, note(NotificationKind.DEADLINE_BREACHED, to=Role.ADMIN)) == []


def test_the_mailer_logs_counts_not_addresses_or_content(
    db_session, scene, note, smtp_server, caplog
):
    collector, smtp = smtp_server
    collector.refuse.add(BO)
    note(NotificationKind.CALLBACK_MISSED, to=Role.LAWYER)
    note(NotificationKind.DEADLINE_BREACHED, to=Role.COORDINATOR)

    with caplog.at_level(logging.INFO, logger="advisory.jobs"):
        assert send_pending(db_session, smtp, now=NOW) == 2
        note(NotificationKind.CASE_ASSIGNED, to="ada")
        with pytest.raises(MailUnavailable):
            send_pending(db_session, settings_for(free_port()), now=NOW)

    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name == "advisory.jobs"
    )
    assert "2 sent" in logged
    assert "unavailable" in logged
    assert "@" not in logged
    assert REFERENCE not in logged
    assert [needle for needle in forbidden_strings(scene) if needle in logged] == []


def test_only_the_sweep_writes_email_state(db_session, scene, note):
    # notify() itself leaves the outbox columns empty: mail is the sweep's business
    created = note(NotificationKind.DEADLINE_AT_RISK, to="ada")
    row = db_session.execute(
        sa.select(Notification.email_claimed_at, Notification.emailed_at).where(
            Notification.id == created.id
        )
    ).one()
    assert tuple(row) == (None, None)


def test_no_mail_about_a_case_goes_to_a_lawyer_who_declined_it(db_session, scene, note):
    db_session.add(
        CaseDecline(case_id=scene.case.id, staff_id=scene.staff["ada"].id, declined_at=NOW)
    )
    db_session.flush()

    assert recipients_for(db_session, note(NotificationKind.CALLBACK_MISSED, to=Role.LAWYER)) == [
        BO
    ]
    assert recipients_for(db_session, note(NotificationKind.CASE_ASSIGNED, to="ada")) == []


def test_a_line_with_its_own_sender_mails_from_it(db_session, scene, note, smtp_server):
    # Given the case's line has a sender of its own
    collector, smtp = smtp_server
    db_session.get(Line, scene.case.line_id).smtp_sender = "musikk@advisory.example"
    db_session.flush()
    note(NotificationKind.DEADLINE_AT_RISK, to="ada")

    send_pending(db_session, smtp, now=NOW)

    assert [mail.mail_from for mail in collector.received] == ["musikk@advisory.example"]
    assert collector.received[0].parsed["From"] == "musikk@advisory.example"
