"""The fuzz world's own database and its seed: lines, keys, staff of every role, cases of
every kind a form can reach, notices, and a signed-in browser session for every role.

Everything a drawn request names with `Ref(...)` is set here, in `World.refs`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.orm import Session

import crypto
from advisory import create_app, passwords
from advisory.auth import sessions
from advisory.extensions import db
from advisory.models import (
    Case,
    CaseStatus,
    Channel,
    ContactPreference,
    Kind,
    Line,
    LineKey,
    Role,
    Staff,
)
from advisory.services.callbacks import free_slots
from advisory.services.intake import Contact, ReporterKeys, submit_case
from advisory.services.line_keys import NewLineKey, initialise_line
from advisory.services.line_settings import line_config
from advisory.services.notifications import NotificationKind, notify
from advisory.services.replies import record_reply
from advisory.services.staff import add_staff
from advisory.triage import Answers
from bench.postgres import postgres_schema
from tests import reporter_helpers as rh
from tests.conftest import DEFAULT_NOW, POSTGRES_URL, TEST_SECRETS, base_env
from tests.fuzz.world import World, fingerprints
from tests.staff_credentials import auth_key_for, credentials_for, give_line_key, new_key_pair

SECRET_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"])
DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
FLASK_SESSION_COOKIE = "advisory_session"
PASSWORD = "fuzz-correct-horse-battery"
NEW_PASSWORD = "fuzz-a-new-password-123"  # noqa: S105  (a test password)
# Case codes of the seeded cases, and one no case has (for a new report sealed in a browser).
CODE_INBOX = "K7QX-4M2P-9TRH-3WDN-B6VZ"
CODE_CALLBACK = "A1B2-C3D4-E5F6-G7H8-J9K0"
CODE_CLOSED = "M4N5-P6Q7-R8S9-T0V1-W2X3"
CODE_FRESH = "Z9Y8-X7W6-V5T4-S3R2-Q1P0"
CODE_ELSEWHERE = "H3J4-K5M6-N7P8-Q9R0-S1T2"

# Who sends a request. The observers never act: they read the staff pages after each example.
STAFF_ROLES = {
    "lawyer": "fuzz-lawyer",
    "colleague": "fuzz-colleague",
    "observer": "fuzz-observer",
    "coordinator": "fuzz-coordinator",
    "coordinator_observer": "fuzz-coordinator-observer",
    "admin": "fuzz-admin",
    "enrolling": "fuzz-enrolling",
}
# A page each role can open that carries a CSRF token, to start its Flask session with.
TOKEN_PAGES = {
    "reporter": "/report",
    "visitor": "/staff/login",
    "enrolling": "/staff/welcome",
}


@contextmanager
def own_database(kind: str, directory: Path) -> Iterator[str]:
    """The URL of an empty database for the world: a SQLite file in `directory`, or a schema
    of its own in the PostgreSQL test database, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'fuzz.db'}"
        return
    with postgres_schema(sa.make_url(POSTGRES_URL), "fuzz_world") as url:
        yield url


@contextmanager
def open_world(database_url: str, instance_path: Path) -> Iterator[World]:
    """An app on a database of its own, migrated and seeded (really committed)."""
    app = create_app(base_env(instance_path, database_url))
    app.config["TESTING"] = True
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
    try:
        with app.app_context():
            upgrade()
            with pytest.MonkeyPatch.context() as patch:
                # Function-scoped fixtures are not active yet: hash the seed's passwords cheaply.
                patch.setattr(passwords, "TIME_COST", 1)
                patch.setattr(passwords, "MEMORY_COST_KIB", 8)
                patch.setattr(passwords, "PARALLELISM", 1)
                world = _seed(app, db.session())
            world.seed = fingerprints(db.session())
            db.session.remove()
        _start_clients(world)  # outside the app context: each request needs its own
        event.listen(world.engine, "before_cursor_execute", world._note_write)
        yield world
    finally:
        with app.app_context():
            db.engine.dispose()


# --- the seed ------------------------------------------------------------------------------------


def _seed(app: Flask, session: Session) -> World:
    line_key = initialise_line(session, now=DEFAULT_NOW, iterations=1000)
    session.commit()
    world = World(app, db.engine, line_id=line_key.line.id)
    _seed_keys(world, session, line_key)
    _seed_staff(world, session, line_key)
    _seed_cases(world, session, line_key)
    _seed_notices(world, session)
    session.commit()
    return world


def _seed_keys(world: World, session: Session, line_key: NewLineKey) -> None:
    other = Line(slug="fuzz-other", name="Another line", created_at=DEFAULT_NOW)
    other_private = crypto.generate_keypair()
    session.add(other)
    session.flush()
    session.add(
        LineKey(
            line_id=other.id,
            key_id=crypto.key_id_for(other_private.public_key()),
            public_key=crypto.public_key_to_text(other_private.public_key()),
            created_at=DEFAULT_NOW,
        )
    )
    world.refs["other_line_id"] = str(other.id)
    world.public_keys.update(
        line=rh.line_public_key(line_key),
        other_line=other_private.public_key(),
        reporter_inbox=crypto.reporter_private_key(CODE_INBOX).public_key(),
        reporter_callback=crypto.reporter_private_key(CODE_CALLBACK).public_key(),
        reporter_fresh=crypto.reporter_private_key(CODE_FRESH).public_key(),
    )
    for name, code in (("inbox", CODE_INBOX), ("callback", CODE_CALLBACK), ("fresh", CODE_FRESH)):
        world.refs[f"code_{name}"] = code
        world.refs[f"token_{name}"] = rh.lookup_token_text(code)
    world.refs["key_fresh"] = rh.reporter_public_key_text(CODE_FRESH)
    world.refs["submission_token"] = "fuzz-submission-token-0001"
    world.refs["phone_token"] = "fuzz-phone-call-token-0001"


def _seed_staff(world: World, session: Session, line_key: NewLineKey) -> None:
    for role, username in STAFF_ROLES.items():
        kind = {"coordinator": Role.COORDINATOR, "coordinator_observer": Role.COORDINATOR}.get(
            role, Role.ADMIN if role == "admin" else Role.LAWYER
        )
        new = add_staff(
            session,
            username=username,
            role=kind,
            data_key=DATA_KEY,
            now=DEFAULT_NOW,
            password=PASSWORD,
        )
        if role != "enrolling":
            new.staff.must_change_password = False
            new.staff.totp_confirmed = True
        session.flush()
        world.refs[f"{role}_id"] = str(new.staff.id)
        world.refs[f"{role}:totp"] = pyotp.TOTP(new.totp_seed).at(DEFAULT_NOW)
        world.cookies[role] = {sessions.COOKIE_NAME: _staff_cookie(new.staff, role == "enrolling")}
    world.refs["username"] = STAFF_ROLES["colleague"]
    world.refs["colleague_auth_key"] = auth_key_for(PASSWORD, STAFF_ROLES["colleague"])
    world.refs["totp"] = world.refs["colleague:totp"]
    # The acting lawyer holds the line key, so a password change must re-wrap their own key.
    lawyer = session.get(Staff, int(world.refs["lawyer_id"]))
    assert lawyer is not None
    own = give_line_key(session, lawyer, line_key.line_key, line_key.private_key, PASSWORD)
    world.refs["auth_key"] = auth_key_for(PASSWORD, lawyer.username)
    world.refs["new_auth_key"] = auth_key_for(NEW_PASSWORD, lawyer.username)
    new_wrap = credentials_for(NEW_PASSWORD, lawyer.username).wrap_key
    world.refs["rewrapped"] = crypto.wrap_staff_private_key(own, new_wrap, lawyer.id)
    # What an enrolling lawyer's browser would send for its new pair.
    enrolling_id = int(world.refs["enrolling_id"])
    enrolling = session.get(Staff, enrolling_id)
    assert enrolling is not None
    pair = new_key_pair(NEW_PASSWORD, enrolling.username, enrolling_id)
    world.refs["new_public_key"] = pair["public_key"]
    world.refs["new_wrapped_key"] = pair["wrapped_private_key"]


def _staff_cookie(staff: Staff, enrolling: bool) -> str:
    started = sessions.start_session(
        staff.id, staff.session_epoch, DEFAULT_NOW, enrolling=enrolling
    )
    return sessions.encode(SECRET_KEY, started)


def _seed_cases(world: World, session: Session, line_key: NewLineKey) -> None:
    line = rh.line_public_key(line_key)
    inbox = rh.reported_case(session, world.app, CODE_INBOX)
    inbox.narrative_envelope = crypto.seal("narrative", "fuzz narrative", line)
    author = session.get(Staff, int(world.refs["colleague_id"]))
    assert author is not None
    reply = crypto.seal("reply", "fuzz reply", world.public_keys["reporter_inbox"])
    message = record_reply(session, case=inbox, envelope=reply, author=author, now=DEFAULT_NOW)
    message.line_copy_envelope = crypto.seal("reply", "fuzz reply", line)
    callback = rh.reported_case(session, world.app, CODE_CALLBACK, callback=True, line_key=line_key)
    closed = rh.reported_case(session, world.app, CODE_CLOSED)
    closed.status, closed.closed_at = CaseStatus.CLOSED, DEFAULT_NOW
    elsewhere = _case_on_other_line(world, session)
    session.flush()
    world.refs.update(
        case_inbox=inbox.reference,
        case_callback=callback.reference,
        case_closed=closed.reference,
        case_other_line=elsewhere.reference,
        callback_id=str(callback.callbacks[0].id),
    )
    line = line_config(session, callback.line_id)  # the slots the callback can move to
    slot = free_slots(
        session,
        line,
        line_id=callback.line_id,
        after=DEFAULT_NOW + timedelta(minutes=15),
        until=line.calendar.callback_due(DEFAULT_NOW),
        limit=1,
    )[0]
    start = slot.start
    year, week, weekday = start.isocalendar()
    world.refs.update(
        free_slot=start.isoformat(),
        free_slot_naive=start.replace(tzinfo=None).isoformat(),
        free_slot_z=start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        free_slot_date=start.date().isoformat(),
        free_slot_week=f"{year:04d}-W{week:02d}-{weekday}",
    )


def _case_on_other_line(world: World, session: Session) -> Case:
    submission = submit_case(
        session,
        line_id=int(world.refs["other_line_id"]),
        pepper=rh.pepper_of(world.app),
        submission_token="fuzz-other-line-token-0001",
        answers=Answers(kind=Kind.OTHER),
        narrative_envelope=None,
        reporter=ReporterKeys(
            crypto.lookup_token(CODE_ELSEWHERE), rh.reporter_public_key_text(CODE_ELSEWHERE)
        ),
        contact=Contact(ContactPreference.INBOX),
        now=DEFAULT_NOW,
        channel=Channel.WEB,
    )
    return submission.case


def _seed_notices(world: World, session: Session) -> None:
    reference = world.refs["case_inbox"]
    notes: dict[str, dict[str, Any]] = {
        "notice_mine": {"staff_id": int(world.refs["lawyer_id"])},
        "notice_colleague": {"staff_id": int(world.refs["colleague_id"])},
        "notice_coordinators": {"role": Role.COORDINATOR},
    }
    for name, recipient in notes.items():
        note = notify(
            session,
            kind=NotificationKind.CASE_ASSIGNED,
            dedupe_key=f"fuzz:{name}",
            now=DEFAULT_NOW,
            case_reference=reference,
            **recipient,
        )
        assert note is not None
        world.refs[name] = str(note.id)


def _start_clients(world: World) -> None:
    """Open a page with a form as each role, and keep its Flask session and CSRF token."""
    for role in ["reporter", "visitor", *STAFF_ROLES]:
        client = world.client(role)
        response = client.get(TOKEN_PAGES.get(role, "/staff"))
        assert response.status_code == 200, f"{role} cannot open a page of the seeded world"
        world.refs[f"{role}:csrf"] = rh.page_of(response).input_value("csrf_token")
        cookie = client.get_cookie(FLASK_SESSION_COOKIE)
        assert cookie is not None
        world.cookies.setdefault(role, {})[FLASK_SESSION_COOKIE] = cookie.value
