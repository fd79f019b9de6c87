"""The lawyers' queue (and case view) over 100 000 cases on 10 lines: server time per request.

    .venv/bin/python -m bench.queue [--cases 100000] [--open 20000] [--lines 10] [--lawyers 12]
        [--requests 200] [--every-line] [--explain] [--skip-postgres]

For each backend (SQLite, then PostgreSQL) the script builds a fresh database (migrations and
the first line with its key, as bench/intake.py does; then --lines - 1 more lines, `line-02`,
`line-03`, ..., each with its own key and the settings `lines add --country` would give it, the
countries in turn after the first, Norwegian, line: SE, DK, FI, IS, NO, ...), seeds it with
Core bulk inserts (executemany, never the ORM row by row), then signs in as one of the lawyers
and times requests in this process through Flask's test client. The timed lawyer belongs to
one line and sees only that line's cases, so their pages hold their line's share of the cases
(about a tenth with 10 lines); the output names the line and its number of open cases. With
--every-line they are given every line first (`staff lines`), as a lawyer of a whole network
would be, and their queue holds every open case.

- `GET /queue`: the first page of the open cases of the lawyer's line;
- `GET /queue?filter=mine&priority=2&page=3`: a filtered page past the first ones;
- `GET /cases/<reference>`: the case view (endpoint `queue.case_view`) of random open cases
  assigned to the signed-in lawyer, when the app has that endpoint (skipped and said so if not).

Server time is the time from handing the request to the app until its response is complete:
routing, the access check, the service's queries, rendering, the commit and the staff cookie.
No network and no server process are involved. Each endpoint is warmed up untimed, then timed
--requests times; the table shows nearest-rank p50 and p95 against the 50 ms target.

The data: --cases cases over all lines together (so the figures compare with a single-line
run), --open of them open (new, in progress, awaiting the reporter), the rest closed; the lines
take the cases in turn in order of arrival, so each gets an even share of open and closed ones;
the --lawyers lawyers are dealt to the lines in turn too (12 over 10 lines: two lines have two,
the others one), and a case's assignee is one of its line's lawyers (about 10% of open cases
unassigned); priorities and statuses at random; 0-4 messages per case, sealed envelopes of
realistic size (real `crypto.seal` output to the case's line's key, made a few times per line
and reused); a callback for about 30% of the cases (booked for open ones, some after an
unanswered attempt); an intact audit chain with a few events per case. Deadlines come from the
calendar of the case's line. The timed lawyer is the one with the most open cases (the filtered
page 3 must exist for them). With --lines 1 the data are those of the single-line runs before.

PostgreSQL: database `bench` (created if missing) on --postgres-url, schema `bench_queue`
selected with the search_path connection option and dropped at the end; the seeded tables get
VACUUM ANALYZE, as autovacuum would do after a bulk load. SQLite gets no ANALYZE: a deployment
has none unless someone runs it, so the indexes must work without statistics.

--explain prints the plans of the queue's statements as the app sent them (EXPLAIN QUERY PLAN
on SQLite, EXPLAIN ANALYZE on PostgreSQL).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import crypto
from advisory import create_app
from advisory.audit import GENESIS_HASH, chain_key, event_mac
from advisory.auth import sessions
from advisory.context import current_settings, db_session
from advisory.extensions import db
from advisory.hours import Calendar
from advisory.models import (
    AuditEvent,
    Callback,
    CallbackStatus,
    Case,
    CaseStatus,
    Channel,
    CloseOutcome,
    Direction,
    Field,
    Happened,
    Kind,
    Language,
    Line,
    LineKey,
    Message,
    ReporterRole,
    Role,
    Staff,
)
from advisory.services.line_keys import start_line_key
from advisory.services.line_settings import add_line, config_of, texts_from_settings
from advisory.services.sample_cases import case_columns
from advisory.services.staff_lines import give_lines
from advisory.settings import Settings
from bench.intake import prepare_database, server_env
from bench.postgres import DEFAULT_POSTGRES_URL, run_on_postgres

TARGET_P95_MS = 50.0
PG_SCHEMA = "bench_queue"
FILTERED_PAGE = "/queue?filter=mine&priority=2&page=3"
# The two pages the target is about, then two more that use the other indexes and paging.
QUEUE_PAGES = ("/queue", FILTERED_PAGE, "/queue?filter=unassigned", "/queue?status=new&page=100")
CASE_VIEW_ENDPOINT = "queue.case_view"
BATCH = 5_000
ENVELOPE_VARIANTS = 6
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_REPORTER)
PRIORITY_WEIGHTS = {1: 5, 2: 35, 3: 45, 4: 15}
WORDS = ("the", "stage", "manager", "kept", "keys", "to", "dressing", "rooms", "after", "shows")
# The first line is Norwegian (the model's defaults); the lines added after it take these in turn.
LINE_COUNTRIES = ("NO", "SE", "DK", "FI", "IS")
LINE_KDF_ITERATIONS = 1000  # the recovery wrap of each line key: fast, as it is not measured


# --- lines -------------------------------------------------------------------------------------


def line_texts(settings: Settings, number: int) -> tuple[str, dict[str, str]]:
    """Slug and settings of line `number` (2 or more): `line-02`, `line-03`, ..., the countries
    in turn after Norway's (SE, DK, FI, IS, NO, ...), with what `lines add --country` gives."""
    country = LINE_COUNTRIES[(number - 1) % len(LINE_COUNTRIES)]
    texts = {
        **texts_from_settings(settings, country),
        "name": f"Bench line {number:02d} ({country})",
    }
    return f"line-{number:02d}", texts


def add_lines(session: Session, settings: Settings, count: int, now: datetime) -> list[Line]:
    """Lines 2 to `count` beside the first (`line_texts`), each with a key of its own, as
    `lines add` makes them. Flushes; the caller commits."""
    data_key = settings.secrets.data_key if settings.secrets is not None else None
    added = []
    for number in range(2, count + 1):
        slug, texts = line_texts(settings, number)
        line = add_line(session, slug=slug, texts=texts, now=now)
        start_line_key(session, line, now=now, iterations=LINE_KDF_ITERATIONS, data_key=data_key)
        added.append(line)
    return added


def prepare_lines(env: dict[str, str], count: int, now: datetime) -> None:
    """The lines after the first (which `prepare_database` made), in this process."""
    app = create_app(env)
    with app.app_context():
        add_lines(db_session(), current_settings(), count, now)
        db_session().commit()
        db.engine.dispose()


# --- seeding -----------------------------------------------------------------------------------


@dataclass
class Seeded:
    lines: dict[int, str]  # line id → slug (country, time zone)
    lawyers: dict[int, tuple[str, int]]  # id → username, line id
    open_assigned: dict[int, list[str]]  # lawyer id → references of their open cases
    open_per_line: dict[int, int]  # line id → open cases
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < chars:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:chars]


class Envelopes:
    """Real envelopes to one line's key, sealed a few times per kind and reused: realistic
    sizes, cheap to make."""

    def __init__(self, line_public_key: str, rng: random.Random) -> None:
        line_key = crypto.public_key_from_text(line_public_key)
        reporter_key = crypto.generate_keypair().public_key()
        self.reporter_public_key = crypto.public_key_to_text(reporter_key)

        def variants(purpose: str, chars: int, key: Any) -> list[str]:
            return [
                crypto.seal(purpose, _text(rng, rng.randint(chars // 2, chars)), key)
                for _ in range(ENVELOPE_VARIANTS)
            ]

        self.narrative = variants("narrative", 1500, line_key)
        self.message = variants("message", 600, line_key)
        self.reply = variants("reply", 600, reporter_key)
        self.reply_line_copy = variants("message", 600, line_key)
        self.contact = [
            crypto.seal("contact", f"+47 9{rng.randrange(10**7):07d}", line_key)
            for _ in range(ENVELOPE_VARIANTS)
        ]


@dataclass
class BenchLine:
    """A line as the seeding needs it: its calendar, envelopes to its key and its lawyers."""

    id: int
    label: str  # slug (country, time zone)
    calendar: Calendar
    envelopes: Envelopes
    lawyer_ids: list[int] = field(default_factory=list)


def seed(database_url: str, args: argparse.Namespace, now: datetime, data_key: bytes) -> Seeded:
    """Bulk-insert lawyers, cases, messages, callbacks and audit events; commit once."""
    rng = random.Random(args.seed)
    started = time.perf_counter()
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            lines = _bench_lines(connection, rng, args.seed)
            tail = connection.execute(
                sa.select(AuditEvent.id, AuditEvent.seq, AuditEvent.hash)
                .order_by(AuditEvent.id.desc())
                .limit(1)
            ).first()
            lawyers = _insert_lawyers(connection, lines, args.lawyers, now)
            seeded = Seeded(
                lines={line.id: line.label for line in lines},
                lawyers=lawyers,
                open_assigned={lawyer_id: [] for lawyer_id in lawyers},
                open_per_line={line.id: 0 for line in lines},
            )
            case_rows, message_rows, callback_rows, events = _generate(
                rng, now, lines, args, seeded
            )
            audit_rows = _chained(events, chain_key(data_key), *(tail or (0, 0, GENESIS_HASH)))
            for model, rows in (
                (Case, case_rows),
                (Message, message_rows),
                (Callback, callback_rows),
                (AuditEvent, audit_rows),
            ):
                _bulk_insert(connection, model, rows)
                seeded.counts[model.__tablename__] = len(rows)
            if connection.dialect.name == "postgresql":  # ids were given: move the sequences on
                for sequenced in (Staff, Case, Message, Callback, AuditEvent):
                    connection.execute(
                        sa.text("SELECT setval(pg_get_serial_sequence(:name, 'id'), :last)"),
                        {
                            "name": f'"{sequenced.__tablename__}"',
                            "last": connection.scalar(sa.select(sa.func.max(sequenced.id))),
                        },
                    )
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()
    seeded.seconds = time.perf_counter() - started
    return seeded


def _bench_lines(connection: sa.Connection, rng: random.Random, seed: int) -> list[BenchLine]:
    """Every line with its active key, in order of id. The first line's envelopes take their
    randomness from `rng`, as with one line; the others from generators of their own, so that
    the cases drawn after them are the same whatever the number of lines."""
    with Session(bind=connection) as session:
        found = session.execute(
            sa.select(Line, LineKey.public_key)
            .join(LineKey, LineKey.line_id == Line.id)
            .where(LineKey.retired_at.is_(None))
            .order_by(Line.id)
        ).all()
        lines = []
        for index, (line, public_key) in enumerate(found):
            calendar = config_of(line).calendar
            lines.append(
                BenchLine(
                    id=line.id,
                    label=f"{line.slug} ({line.holiday_country}, {calendar.timezone})",
                    calendar=calendar,
                    envelopes=Envelopes(
                        public_key, rng if index == 0 else random.Random(f"{seed}/{line.slug}")
                    ),
                )
            )
    return lines


def _insert_lawyers(
    connection: sa.Connection, lines: Sequence[BenchLine], count: int, now: datetime
) -> dict[int, tuple[str, int]]:
    """The lawyers, dealt to the lines in turn."""
    rows: list[dict[str, Any]] = [
        {
            "id": 1000 + number,
            "username": f"bench-lawyer-{number:02d}",
            "role": Role.LAWYER,
            "line_id": lines[(number - 1) % len(lines)].id,
            "password_hash": "$argon2id$bench-not-a-real-hash",
            "totp_secret_encrypted": "r1.bench-not-a-real-secret",
            "must_change_password": False,
            "totp_confirmed": True,
            "active": True,
            "failed_logins": 0,
            "session_epoch": 0,
            "created_at": now - timedelta(days=400),
        }
        for number in range(1, count + 1)
    ]
    connection.execute(sa.insert(Staff), rows)
    for row in rows:
        next(line for line in lines if line.id == row["line_id"]).lawyer_ids.append(row["id"])
    return {row["id"]: (row["username"], row["line_id"]) for row in rows}


def _bulk_insert(connection: sa.Connection, model: type, rows: Sequence[Mapping[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(sa.insert(model), rows[start : start + BATCH])


def _references(rng: random.Random, count: int) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        seen.add(crypto.generate_reference())
    references = sorted(seen)
    rng.shuffle(references)
    return references


def _generate(
    rng: random.Random,
    now: datetime,
    lines: Sequence[BenchLine],
    args: argparse.Namespace,
    seeded: Seeded,
) -> tuple[list[dict[str, Any]], ...]:
    """Rows for every table, cases in the order they arrived (closed ones first, mostly); the
    lines take the cases in turn."""
    closed = args.cases - args.open
    # Closed cases arrived over the past year; open ones over the past three weeks.
    arrivals = sorted(
        [(now - timedelta(days=rng.uniform(21, 365)), False) for _ in range(closed)]
        + [(now - timedelta(days=rng.uniform(0, 21)), True) for _ in range(args.open)]
    )
    references = _references(rng, args.cases)
    cases: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    callbacks: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    message_ids, callback_ids = itertools.count(1), itertools.count(1)
    priorities, weights = zip(*PRIORITY_WEIGHTS.items(), strict=True)

    for case_id, ((received, is_open), reference) in enumerate(
        zip(arrivals, references, strict=True), start=1
    ):
        line = lines[(case_id - 1) % len(lines)]
        calendar, envelopes, lawyer_ids = line.calendar, line.envelopes, line.lawyer_ids
        received = received.replace(microsecond=0)
        priority = rng.choices(priorities, weights)[0]
        due = calendar.callback_due(received).astimezone(UTC)
        wants_callback = rng.random() < 0.3
        assignee = rng.choice(lawyer_ids) if not is_open or rng.random() < 0.9 else None
        web = rng.random() < 0.85
        status = rng.choice(OPEN_STATUSES) if is_open else CaseStatus.CLOSED
        closed_at = None if is_open else received + timedelta(days=rng.uniform(1, 20))
        replied = not is_open or status is not CaseStatus.NEW
        # Keyword order is draw order: the same seed gives the same cases.
        cases.append(
            case_columns(
                calendar,
                id=case_id,
                reference=reference,
                line_id=line.id,
                received_at=received,
                channel=Channel.WEB if web else Channel.PHONE,
                kind=Kind.GENERAL_QUESTION if priority == 4 else rng.choice(list(Kind)[:4]),
                reporter_role=rng.choice([*ReporterRole, None]),
                ongoing=priority <= 2,
                immediate_danger=priority == 1,
                dismissal_or_warning=rng.random() < 0.1,
                happened=rng.choice([*Happened, None]),
                field=rng.choice([*Field, None]),
                preferred_language=rng.choice([Language.BOKMAL, Language.ENGLISH, None]),
                callback=wants_callback,
                voicemail_ok=rng.random() < 0.5 if wants_callback else None,
                sms_ok=rng.random() < 0.5 if wants_callback else None,
                priority=priority,
                status=status,
                close_outcome=None if is_open else rng.choice(list(CloseOutcome)),
                assigned_lawyer_id=assignee,
                callback_due_at=due,
                internal_target_at=(
                    calendar.add_opening_time(received, timedelta(hours=2)).astimezone(UTC)
                    if priority == 1
                    else None
                ),
                first_response_at=received + timedelta(hours=rng.uniform(1, 30))
                if replied
                else None,
                breached_at=due if due < now and not replied else None,
                closed_at=closed_at,
                retention_until=closed_at + timedelta(days=60) if closed_at else None,
                reporter_lookup_hmac=secrets.token_bytes(32) if web else None,
                reporter_public_key=envelopes.reporter_public_key if web else None,
                submission_token_hmac=secrets.token_bytes(32) if web else None,
                narrative_envelope=rng.choice(envelopes.narrative),
            )
        )
        if is_open:
            seeded.open_per_line[line.id] += 1
        if is_open and assignee is not None:
            seeded.open_assigned[assignee].append(reference)

        # The thread: the reporter writes, the lawyer answers; unread only on open cases.
        author = assignee or rng.choice(lawyer_ids)
        for number in range(rng.randint(0 if is_open else 1, 4)):
            incoming = number % 2 == 0
            written = received + timedelta(hours=number * rng.uniform(2, 40))
            unread = incoming and is_open and rng.random() < 0.4
            messages.append(
                {
                    "id": next(message_ids),
                    "case_id": case_id,
                    "direction": Direction.FROM_REPORTER if incoming else Direction.TO_REPORTER,
                    "envelope": rng.choice(envelopes.message if incoming else envelopes.reply),
                    "created_at": written,
                    "author_staff_id": None if incoming else author,
                    "read_at": None if unread else written + timedelta(hours=1),
                    "line_copy_envelope": (
                        None if incoming else rng.choice(envelopes.reply_line_copy)
                    ),
                }
            )

        if wants_callback:
            slot = due.replace(minute=due.minute // 30 * 30, second=0)
            if rng.random() < 0.2 or not is_open:  # an earlier attempt (or, closed: reached)
                earlier = slot - timedelta(days=1)
                callbacks.append(
                    {
                        "id": next(callback_ids),
                        "case_id": case_id,
                        "slot_start": earlier,
                        "slot_end": earlier + timedelta(minutes=30),
                        "status": CallbackStatus.NO_ANSWER if is_open else CallbackStatus.REACHED,
                        "attempts": 1,
                        "contact_envelope": None,
                        "outcome_at": earlier + timedelta(minutes=20),
                    }
                )
            if is_open:
                callbacks.append(
                    {
                        "id": next(callback_ids),
                        "case_id": case_id,
                        "slot_start": slot,
                        "slot_end": slot + timedelta(minutes=30),
                        "status": CallbackStatus.BOOKED,
                        "attempts": 1,
                        "contact_envelope": rng.choice(envelopes.contact),
                        "outcome_at": None,
                    }
                )

        if replied:
            events.append(
                {
                    "occurred_at": received + timedelta(hours=1),
                    "actor_staff_id": author,
                    "action": "case.opened",
                    "case_reference": reference,
                    "detail": "{}",
                }
            )
        if closed_at is not None:
            events.append(
                {
                    "occurred_at": closed_at,
                    "actor_staff_id": author,
                    "action": "case.closed",
                    "case_reference": reference,
                    "detail": "{}",
                }
            )

    return cases, messages, callbacks, events


def _chained(
    events: list[dict[str, Any]], key: bytes, last_id: int, last_seq: int, previous: str
) -> list[dict[str, Any]]:
    """The events in time order after the chain's tail, numbered, each with the keyed link to
    the one before: the chain stays intact (`flask audit verify` passes)."""
    events.sort(key=lambda event: event["occurred_at"])
    for offset, event in enumerate(events, start=1):
        event["id"] = last_id + offset
        event["seq"] = last_seq + offset
        event["prev_hash"] = previous
        event["hash"] = previous = event_mac(key, AuditEvent(**event))
    return events


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Timing:
    backend: str
    endpoint: str
    seconds: list[float] = field(default_factory=list)  # wall time per request
    cpu: list[float] = field(default_factory=list)  # this process's CPU time per request
    load: float = 0.0  # the host's 1-minute load average when the requests ended
    note: str = ""

    def percentile_ms(self, share: float, values: Sequence[float] | None = None) -> float:
        """Nearest rank, of the wall times unless other values are given."""
        ordered = sorted(self.seconds if values is None else values)
        if not ordered:
            return float("nan")
        return ordered[max(1, round(share * len(ordered))) - 1] * 1000

    @property
    def met(self) -> bool:
        return bool(self.seconds) and self.percentile_ms(0.95) < TARGET_P95_MS


def signed_in_client(app: Flask, staff_id: int, now: datetime) -> FlaskClient:
    """A test client carrying a staff session cookie, as tests/test_queue.py builds it."""
    secrets_ = app.extensions["advisory_settings"].secrets
    started = sessions.start_session(staff_id, 0, now, enrolling=False)
    client = app.test_client()
    client.set_cookie(sessions.COOKIE_NAME, sessions.encode(secrets_.secret_key, started))
    return client


def time_requests(
    backend: str, label: str, client: FlaskClient, paths: Sequence[str], warm_up: int
) -> Timing:
    """Server time of each GET (after `warm_up` untimed ones); every answer must be a 200."""
    timing = Timing(backend, label)
    for number, path in enumerate(paths):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(path)
        body = response.get_data()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if response.status_code != 200 or not body:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        if number >= warm_up:
            timing.seconds.append(elapsed)
            timing.cpu.append(cpu)
    timing.load = os.getloadavg()[0]
    return timing


def expected_first_reference(app: Flask, lawyer_lines: Sequence[int]) -> str:
    """The most urgent open case, by an independent query: the first page must show it."""
    with app.app_context(), db.engine.connect() as connection:
        reference = connection.scalar(
            sa.select(Case.reference)
            .where(Case.line_id.in_(lawyer_lines), Case.status != CaseStatus.CLOSED)
            .order_by(Case.priority, Case.callback_due_at, Case.id)
            .limit(1)
        )
    return str(reference)


def give_every_line(app: Flask, lawyer_id: int) -> list[int]:
    """The timed lawyer works on every line (`staff lines`), as a network's lawyer would."""
    with app.app_context():
        session = db_session()
        line_ids = list(session.scalars(sa.select(Line.id).order_by(Line.id)))
        lawyer = session.get(Staff, lawyer_id)
        give_lines(session, lawyer, [lawyer.line_id, *line_ids], now=datetime.now(UTC))
        session.commit()
    return line_ids


def timed_lawyer(seeded: Seeded) -> int:
    """The lawyer with the most open cases: the filtered page 3 must exist for them."""
    return max(seeded.open_assigned, key=lambda i: len(seeded.open_assigned[i]))


def describe_lawyer(seeded: Seeded, args: argparse.Namespace) -> str:
    """Who is timed and what their line holds: they see that line's cases only (or, with
    --every-line, every line's)."""
    lawyer_id = timed_lawyer(seeded)
    username, line_id = seeded.lawyers[lawyer_id]
    others = sum(1 for _, line in seeded.lawyers.values() if line == line_id) - 1
    lines = plural(len(seeded.lines), "line")
    if args.every_line:
        return (
            f"Timed lawyer: {username}, given every line ({lines}), who sees all {args.open} "
            f"open cases, {len(seeded.open_assigned[lawyer_id])} of them theirs"
        )
    return (
        f"Timed lawyer: {username} of line {seeded.lines[line_id]}, who sees only that line's "
        f"cases: {seeded.open_per_line[line_id]} open there (of {args.open} open on {lines}), "
        f"{len(seeded.open_assigned[lawyer_id])} of them theirs; "
        f"{others} other lawyer(s) on the line"
    )


def measure(
    backend: str, app: Flask, seeded: Seeded, args: argparse.Namespace
) -> tuple[list[Timing], list[tuple[str, str, Any]]]:
    rng = random.Random(args.seed + 1)
    lawyer_id = timed_lawyer(seeded)
    now = datetime.now(UTC)
    client = signed_in_client(app, lawyer_id, now)

    lines = give_every_line(app, lawyer_id) if args.every_line else [seeded.lawyers[lawyer_id][1]]
    first = client.get("/queue").get_data(as_text=True)
    wanted = expected_first_reference(app, lines)
    if wanted not in first:
        raise RuntimeError(f"the first queue page does not show the most urgent case {wanted}")

    statements = capture_statements(app, client, QUEUE_PAGES) if args.explain else []
    count = args.warm_up + args.requests
    timings = [
        time_requests(backend, f"GET {path}", client, [path] * count, args.warm_up)
        for path in QUEUE_PAGES
    ]

    label = "GET /cases/<reference>"
    if CASE_VIEW_ENDPOINT in app.view_functions:
        mine = seeded.open_assigned[lawyer_id]
        paths = [f"/cases/{rng.choice(mine)}" for _ in range(count)]
        timings.append(time_requests(backend, label, client, paths, args.warm_up))
    else:
        timings.append(Timing(backend, label, note=f"no endpoint {CASE_VIEW_ENDPOINT} yet"))
    return timings, statements


def capture_statements(
    app: Flask, client: FlaskClient, paths: Sequence[str]
) -> list[tuple[str, str, Any]]:
    """The SQL each GET sent, with its parameters: (path, statement, parameters)."""
    captured: list[tuple[str, str, Any]] = []
    current = [""]

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        captured.append((current[0], statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", remember)
    try:
        for path in paths:
            current[0] = path
            client.get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", remember)
    return captured


def explain(app: Flask, statements: Sequence[tuple[str, str, Any]]) -> list[str]:
    """Plans of the statements that read cases (the queue's rows and its total)."""
    lines: list[str] = []
    with app.app_context():
        engine = db.engine
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        for path, statement, parameters in statements:
            if not re.search(r'FROM "?case"?\b', statement):
                continue
            lines.append(f"--- {path}: {' '.join(statement.split())[:160]} ...")
            for row in connection.exec_driver_sql(prefix + statement, parameters):
                lines.append("    " + (str(row[0]) if postgres else f"{row[1]:>3} {row[3]}"))
    return lines


# --- one backend -------------------------------------------------------------------------------


def run_backend(
    backend: str, database_url: str, instance: Path, args: argparse.Namespace
) -> tuple[list[Timing], str]:
    """The timings, and who was timed (`describe_lawyer`)."""
    secret_hex = {
        f"ADVISORY_{name}": secrets.token_hex(32) for name in ("SECRET_KEY", "PEPPER", "DATA_KEY")
    }
    env = server_env(instance, database_url, secret_hex)
    prepare_database(env)
    prepare_lines(env, args.lines, datetime.now(UTC))
    seeded = seed(
        database_url, args, datetime.now(UTC), bytes.fromhex(secret_hex["ADVISORY_DATA_KEY"])
    )
    counts = ", ".join(f"{n} {table}" for table, n in seeded.counts.items())
    lines = plural(len(seeded.lines), "line")
    print(f"{backend}: seeded {counts} over {lines} in {seeded.seconds:.1f} s")
    who = describe_lawyer(seeded, args)
    print(f"{backend}: {who}")
    app = create_app(env)
    try:
        timings, statements = measure(backend, app, seeded, args)
        if statements:
            print("\n".join(explain(app, statements)))
    finally:
        with app.app_context():
            db.engine.dispose()
    return timings, who


# --- output ------------------------------------------------------------------------------------


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


LEGEND = (
    "p50, p95, max: server time per request (wall clock, in this process); cpu p50: this\n"
    "process's CPU time per request (PostgreSQL's own work is not in it); load: the host's\n"
    "1-minute load average as the endpoint's requests ended (2 cores: above 2, requests wait)"
)


def table(timings: Sequence[Timing]) -> str:
    head = (
        f"{'backend':<10}  {'endpoint':<42}  {'n':>4}  {'p50 ms':>7}  {'p95 ms':>7}  "
        f"{'max ms':>7}  {'cpu p50':>7}  {'load':>5}  p95 < {TARGET_P95_MS:.0f} ms"
    )
    lines = [head, "-" * len(head)]
    for t in timings:
        if not t.seconds:
            lines.append(f"{t.backend:<10}  {t.endpoint:<42}  {'-':>4}  skipped: {t.note}")
            continue
        lines.append(
            f"{t.backend:<10}  {t.endpoint:<42}  {len(t.seconds):>4}  "
            f"{t.percentile_ms(0.5):>7.1f}  {t.percentile_ms(0.95):>7.1f}  "
            f"{max(t.seconds) * 1000:>7.1f}  {t.percentile_ms(0.5, t.cpu):>7.1f}  "
            f"{t.load:>5.1f}  {'yes' if t.met else 'NO'}"
        )
    return "\n".join([*lines, LEGEND])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=20_000, help="of the cases, open ones")
    parser.add_argument(
        "--lines", type=int, default=10, help="lines the cases and lawyers are spread over"
    )
    parser.add_argument("--lawyers", type=int, default=12, help="on all lines together")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per endpoint")
    parser.add_argument("--warm-up", type=int, default=20, help="untimed requests first")
    parser.add_argument(
        "--every-line",
        action="store_true",
        help="the timed lawyer works on every line, and sees all their open cases",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--explain", action="store_true", help="print the queue's query plans")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)
    if not 0 < args.open <= args.cases:
        parser.error("--open must be between 1 and --cases")
    if not 0 < args.lines <= args.lawyers:
        parser.error("--lines must be between 1 and --lawyers (every line needs a lawyer)")

    timings: list[Timing] = []
    timed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        if args.skip_sqlite:
            print("sqlite: skipped (--skip-sqlite)")
        else:
            sqlite_dir = Path(tmp) / "sqlite"
            sqlite_dir.mkdir()
            url = f"sqlite:///{sqlite_dir / 'bench.db'}"
            sqlite_timings, who = run_backend("sqlite", url, sqlite_dir, args)
            timings += sqlite_timings
            timed.append(who)
        on_postgres = run_on_postgres(
            args.postgres_url,
            PG_SCHEMA,
            Path(tmp),
            lambda url, folder: run_backend("postgresql", url, folder, args),
            skip=args.skip_postgres,
        )
        if on_postgres is not None:
            timings += on_postgres[0]
            timed.append(on_postgres[1])

    print()
    print(
        f"{args.cases} cases ({args.open} open) over {plural(args.lines, 'line')}, "
        f"{args.lawyers} lawyers; server time in process, {args.requests} requests per "
        f"endpoint after {args.warm_up} untimed"
    )
    for who in dict.fromkeys(timed):  # the same seed gives the same lawyer on both backends
        print(who)
    print(table(timings))
    return 0 if all(t.met for t in timings if t.seconds) else 1


if __name__ == "__main__":
    sys.exit(main())
