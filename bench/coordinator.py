"""The coordinator's pages on five years of cases: server time of dashboard and yearly report.

    .venv/bin/python -m bench.coordinator [--cases 1000000] [--lines 10] [--runs 10]
        [--skip-postgres] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]
        [--seed 6]

The fixture is 1 000 000 synthetic cases received over the five years before "now"
(Monday 23 November 2026, 10:00 in Oslo), as production would hold them: each case closes 1
to 30 days after it came in (a few stay open for months); the statistics sweep has counted
every closed case into `stats_daily` and `stats_monthly` (and marked it `stats_folded`), and
retention has deleted those closed more than 60 days ago. So the case table holds the last
few months (about 42 000 cases with their callbacks, some 9 000 of them still open and
counted live) and the rollup holds the rest. The same fixture is generated once and loaded
into both databases.

Lines: the deployment has --lines lines (default 10), the first as `flask init` makes it
(Norwegian), the others added as `bench/queue.py` adds them (`line-02`, ..., SE, DK, FI, IS,
NO, ... in turn, each with its own key). The arrivals are dealt to the lines in turn; each
line's cases arrive in its time zone, get their deadlines from its calendar and are counted
into its own rollup rows (`line_id`) in its calendar, as `services.rollup.fold_by_line` counts
them. With --lines 1 the fixture is the single-line one of before.

The coordinator is given no lines, so the pages show every line together, their days in the
first line's calendar (`line_settings.figures_calendar`): the dashboard is the plain sum of
the lines; the yearly report of several lines is protected as the sum of the lines' own
reports, so it builds each line's report first (`yearly_report.build_yearly_report`: 11
reports with 10 lines).

Arrivals: working days 3.6 times as many as weekend days, 70% of working-day arrivals in
opening hours. Channel, kind, role and field follow fixed weights; a first response comes
after a log-normal stretch of opening time (median about 2.5 opening hours; 3% never
answered), callbacks for phone and voicemail cases and a fifth of web cases (a quarter of
them missed once or twice first). Closed cases are counted into the rollup exactly as
`advisory.stats.fold_cases` counts them (`rollup_cells`), in bulk.

Timed, through the Flask test client with a signed-in coordinator (so routing, access check,
the queries, the protection of small cells and the template are all in it): the dashboard
for the last 365 days, the yearly report page of 2025 (all in the rollup) and of 2026 (live
cases and rollup), and the CSV of 2025. Each is requested once to warm up, then --runs times;
p50 and p95 are printed with the verdict against the 500 ms target.

SQLite lives in a temporary directory. PostgreSQL gets database `bench` (created if missing)
and in it the schema `bench_coordinator`, chosen with the search_path connection option and
dropped at the end; the test suite's database is never touched.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from advisory import create_app
from advisory.context import current_settings, db_session
from advisory.extensions import db
from advisory.hours import Calendar
from advisory.line_config import NORWEGIAN_LINE, read_config
from advisory.models import (
    Callback,
    CallbackStatus,
    Case,
    Channel,
    Field,
    Kind,
    ReporterRole,
    Role,
    Staff,
    StatsDaily,
    StatsMonthly,
)
from advisory.services import sample_cases
from advisory.services.line_keys import DEFAULT_LINE_NAME, initialise_line
from advisory.services.line_settings import config_of
from advisory.settings import Settings, load_settings
from advisory.stats import LineCell, rollup_cells
from bench.postgres import DEFAULT_POSTGRES_URL, run_on_postgres
from bench.queue import add_lines, line_texts, plural, signed_in_client

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
YEARS = 5
RETENTION = timedelta(days=60)
TARGET_MS = 500.0
PG_SCHEMA = "bench_coordinator"
OSLO = ZoneInfo("Europe/Oslo")

PAGES = {
    "dashboard 365 d": "/coordinator?period=365",
    "report 2025": "/coordinator/report?year=2025",
    "report 2026": "/coordinator/report?year=2026",
    "report 2025 csv": "/coordinator/report.csv?year=2025",
}


# --- the fixture -------------------------------------------------------------------------------


@dataclass
class SyntheticCase:
    """What `advisory.stats._contributions` reads of a case, plus what the table needs."""

    received_at: datetime
    channel: Channel
    kind: Kind
    reporter_role: ReporterRole | None
    field: Field | None
    callback_due_at: datetime
    first_response_at: datetime | None
    closed_at: datetime | None
    calls: list[tuple[datetime, CallbackStatus]] = field(default_factory=list)


@dataclass
class Fixture:
    """Cases and rollup rows of lines numbered 1 to len(calendars) (`line_id` in the kept cases
    and the first item of a rollup key), the line ids `load` maps them to."""

    calendars: list[Calendar]  # each line's, in order of number
    cases: int = 0
    live_cases: list[dict[str, Any]] = field(default_factory=list)
    live_callbacks: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    daily: Counter[LineCell] = field(default_factory=Counter)
    monthly: Counter[LineCell] = field(default_factory=Counter)


def line_calendars(settings: Settings, count: int) -> list[Calendar]:
    """The calendars the lines will have: the first as `initialise_line` makes it (the model's
    defaults), the others as `add_lines` adds them (`load` checks that they do)."""
    first = read_config({**NORWEGIAN_LINE, "name": DEFAULT_LINE_NAME}).calendar
    others = [read_config(line_texts(settings, n)[1]).calendar for n in range(2, count + 1)]
    return [first, *others]


def generate(total: int, seed: int, calendars: list[Calendar]) -> Fixture:
    """`total` arrivals over the days of Oslo's calendar, dealt to the lines in turn; each
    line's arrive, get deadlines and are counted into the rollup in their line's calendar."""
    rng = random.Random(seed)
    turns = itertools.cycle(range(1, len(calendars) + 1))
    first_day = (NOW - timedelta(days=365 * YEARS)).astimezone(OSLO).date()
    # Up to yesterday: every arrival lies before "now" (Monday 10:00), so exactly `total`.
    days = [
        first_day + timedelta(days=n) for n in range((NOW.astimezone(OSLO).date() - first_day).days)
    ]
    weights = [1.25 if day.weekday() < 5 else 0.35 for day in days]
    per_day = Counter(rng.choices(range(len(days)), weights=weights, k=total))
    fixture = Fixture(calendars)
    started = time.perf_counter()
    for index, day in enumerate(days):
        for _ in range(per_day[index]):
            line = next(turns)
            calendar = calendars[line - 1]
            case = _case(rng, calendar, day)
            if case is None:
                continue
            fixture.cases += 1
            if case.closed_at is not None:  # the statistics sweep has counted it
                _fold(fixture, case, line, calendar)
            if case.closed_at is None or case.closed_at > NOW - RETENTION:
                _keep(fixture, case, line, calendar)
        if index % 365 == 364:
            print(f"  generated {fixture.cases:,} cases ({time.perf_counter() - started:.0f} s)")
    return fixture


def _case(rng: random.Random, calendar: Calendar, day: date) -> SyntheticCase | None:
    received = sample_cases.arrival(rng, day, ZoneInfo(calendar.timezone))
    if received >= NOW:
        return None
    channel = sample_cases.pick(rng, sample_cases.CHANNEL_WEIGHTS)
    due = calendar.callback_due(received).astimezone(UTC)
    answered: datetime | None = None
    if rng.random() >= 0.03:
        delay = timedelta(seconds=int(min(rng.lognormvariate(9.1, 0.9), 40 * 3600)))
        answered = calendar.add_opening_time(received, delay).astimezone(UTC)
        if answered >= NOW:
            answered = None
    closed_at = None
    if rng.random() >= 0.0005:  # a very few stay open for months
        closed_at = (answered or received) + timedelta(
            days=rng.randrange(1, 31), minutes=rng.randrange(600)
        )
        if closed_at >= NOW:
            closed_at = None
    case = SyntheticCase(
        received_at=received,
        channel=channel,
        kind=sample_cases.pick(rng, sample_cases.KIND_WEIGHTS),
        reporter_role=sample_cases.pick(rng, sample_cases.ROLE_WEIGHTS),
        field=sample_cases.pick(rng, sample_cases.FIELD_WEIGHTS),
        callback_due_at=due,
        first_response_at=answered,
        closed_at=closed_at,
    )
    if answered is not None and (channel is not Channel.WEB or rng.random() < 0.2):
        case.calls = sample_cases.answered_calls(rng, answered)
    return case


def _fold(fixture: Fixture, case: SyntheticCase, line: int, calendar: Calendar) -> None:
    """The case's cells, in its line's rows, as `services.rollup.fold_by_line` counts them."""
    attempts = len(case.calls)
    reached = sum(1 for _, status in case.calls if status is CallbackStatus.REACHED)
    daily, monthly = rollup_cells(case, calendar, (attempts, reached))  # type: ignore[arg-type]
    fixture.daily.update({(line, *cell): count for cell, count in daily.items()})
    fixture.monthly.update({(line, *cell): count for cell, count in monthly.items()})


def _keep(fixture: Fixture, case: SyntheticCase, line: int, calendar: Calendar) -> None:
    number = len(fixture.live_cases) + 1
    fixture.live_cases.append(
        sample_cases.case_columns(
            calendar,
            reference=f"B{number:08d}",
            line_id=line,  # its number until `load` maps it to the line's id
            received_at=case.received_at,
            channel=case.channel,
            kind=case.kind,
            narrative_envelope="v1.bench000000000.not-a-real-envelope",
            first_response_at=case.first_response_at,
            closed_at=case.closed_at,
            callback=bool(case.calls),
            callback_due_at=case.callback_due_at,
            reporter_role=case.reporter_role,
            field=case.field,
            stats_folded=case.closed_at is not None,
        )
    )
    for start, status in case.calls:
        fixture.live_callbacks.append(
            (
                number,
                {
                    "slot_start": start,
                    "slot_end": start + timedelta(minutes=30),
                    "status": status,
                    "attempts": 1,
                    "outcome_at": start,
                },
            )
        )


# --- loading -----------------------------------------------------------------------------------


def bench_env(database_url: str, instance: Path) -> dict[str, str]:
    return {
        "ADVISORY_INSTANCE_PATH": str(instance),
        "DATABASE_URL": database_url,
        "ADVISORY_SECURE_COOKIES": "false",
        "ADVISORY_EMBEDDED_SCHEDULER": "false",
        "ADVISORY_SECRET_KEY": secrets.token_hex(32),
        "ADVISORY_PEPPER": secrets.token_hex(32),
        "ADVISORY_DATA_KEY": secrets.token_hex(32),
    }


def app_for(database_url: str, instance: Path) -> Flask:
    app = create_app(bench_env(database_url, instance))
    app.extensions["advisory_clock"] = lambda: NOW
    return app


def load(app: Flask, fixture: Fixture) -> dict[str, int]:
    with app.app_context():
        upgrade()
        session = db_session()
        first = initialise_line(session, now=NOW, iterations=1000).line
        lines = [first, *add_lines(session, current_settings(), len(fixture.calendars), NOW)]
        if [config_of(line).calendar for line in lines] != fixture.calendars:
            raise RuntimeError("the lines' calendars are not those the fixture was made in")
        line_ids = [line.id for line in lines]  # by the fixture's line number
        staff = Staff(
            username="bench-coordinator",
            role=Role.COORDINATOR,
            password_hash="$argon2id$not-a-real-hash",  # noqa: S106 (no sign-in: a cookie is made)
            totp_secret_encrypted="r1.not-a-real-secret",  # noqa: S106
            must_change_password=False,
            totp_confirmed=True,
            created_at=NOW,
        )
        session.add(staff)
        session.commit()
        connection = session.connection()
        for start in range(0, len(fixture.live_cases), 5000):
            connection.execute(
                sa.insert(Case),
                [
                    {**row, "line_id": line_ids[row["line_id"] - 1]}
                    for row in fixture.live_cases[start : start + 5000]
                ],
            )
        ids = {
            reference: id
            for reference, id in connection.execute(sa.select(Case.reference, Case.id))
        }
        callbacks = [
            {"case_id": ids[f"B{number:08d}"], **row} for number, row in fixture.live_callbacks
        ]
        for start in range(0, len(callbacks), 5000):
            connection.execute(sa.insert(Callback), callbacks[start : start + 5000])
        _load_stats(connection, fixture, line_ids)
        session.commit()
        if db.engine.dialect.name == "postgresql":
            raw = db.engine.raw_connection()
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            raw.driver_connection.execute("VACUUM ANALYZE")  # type: ignore[union-attr]
            raw.close()
        else:
            with db.engine.connect() as plain:
                plain.exec_driver_sql("ANALYZE")
        return {
            "lines": len(line_ids),
            "lines with cases": db_session().scalar(
                sa.select(sa.func.count(sa.distinct(Case.line_id)))
            )
            or 0,
            "cases": db_session().scalar(sa.select(sa.func.count()).select_from(Case)) or 0,
            "callbacks": db_session().scalar(sa.select(sa.func.count()).select_from(Callback)) or 0,
            "stats_daily": db_session().scalar(sa.select(sa.func.count()).select_from(StatsDaily))
            or 0,
            "stats_monthly": db_session().scalar(
                sa.select(sa.func.count()).select_from(StatsMonthly)
            )
            or 0,
        }


def _load_stats(connection: sa.Connection, fixture: Fixture, line_ids: list[int]) -> None:
    cell = ("channel", "kind", "reporter_role", "field", "metric", "bucket", "count")
    for table, period, cells in (
        ("stats_daily", "day", fixture.daily),
        ("stats_monthly", "month", fixture.monthly),
    ):
        columns = ("line_id", period, *cell)
        rows_of = ((line_ids[line - 1], *key, count) for (line, *key), count in cells.items())
        if connection.dialect.name == "postgresql":
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows_of:
                    copy.write_row(row)
            continue
        model = StatsDaily if table == "stats_daily" else StatsMonthly
        rows = [dict(zip(columns, row, strict=True)) for row in rows_of]
        for start in range(0, len(rows), 20000):
            connection.execute(sa.insert(model), rows[start : start + 20000])


# --- timing ------------------------------------------------------------------------------------


@dataclass
class Timing:
    page: str
    samples_ms: list[float]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def time_pages(app: Flask, runs: int) -> list[Timing]:
    with app.app_context():
        staff = (
            db_session()
            .scalars(sa.select(Staff).where(Staff.username == "bench-coordinator"))
            .one()
        )
    client = signed_in_client(app, staff.id, NOW)
    timings = []
    for name, path in PAGES.items():
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {path} answered {response.status_code}")
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        timings.append(Timing(name, samples))
    return timings


# --- main --------------------------------------------------------------------------------------


def run_backend(
    name: str, database_url: str, fixture: Fixture, runs: int, instance: Path
) -> list[str]:
    app = app_for(database_url, instance)
    started = time.perf_counter()
    counts = load(app, fixture)
    print(
        f"{name}: loaded in {time.perf_counter() - started:.0f} s: {counts['cases']:,} "
        f"cases on {counts['lines with cases']} of {plural(counts['lines'], 'line')}, "
        f"{counts['callbacks']:,} callbacks, {counts['stats_daily']:,} stats_daily and "
        f"{counts['stats_monthly']:,} stats_monthly rows"
    )
    lines = []
    # The fixture's million rows stay in memory for the next database; a server holds nothing
    # like them, so the garbage collector's passes over them are kept out of the timings.
    gc.collect()
    gc.freeze()
    try:
        timings = time_pages(app, runs)
    finally:
        gc.unfreeze()
    for timing in timings:
        p50, p95 = timing.percentile(0.5), timing.percentile(0.95)
        verdict = "met" if p95 < TARGET_MS else "NOT met"
        lines.append(f"{name:<11} {timing.page:<17} {p50:8.1f} {p95:8.1f}   {verdict}")
    with app.app_context():
        db.engine.dispose()
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10, help="lines the kept cases are dealt to")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)
    if args.lines < 1:
        parser.error("--lines must be at least 1")

    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-coordinator-") as folder:
        instance = Path(folder)
        settings = load_settings(bench_env(f"sqlite:///{instance / 'bench.db'}", instance))
        calendars = line_calendars(settings, args.lines)
        local_now = NOW.astimezone(OSLO)
        print(
            f"generating {args.cases:,} cases over {YEARS} years up to "
            f"{local_now:%Y-%m-%d %H:%M} on {plural(args.lines, 'line')} "
            f"({', '.join(calendar.timezone for calendar in calendars)})"
        )
        started = time.perf_counter()
        fixture = generate(args.cases, args.seed, calendars)
        kept = len(fixture.live_cases)
        moving = sum(1 for row in fixture.live_cases if not row["stats_folded"])
        print(
            f"generated {fixture.cases:,} in {time.perf_counter() - started:.0f} s: {kept:,} "
            f"kept (not deleted by retention), {moving:,} of them open (counted live); the "
            f"closed ones counted in {len(fixture.daily):,} daily and "
            f"{len(fixture.monthly):,} monthly rollup rows (each line's own)"
        )
        if not args.skip_sqlite:
            lines += run_backend(
                "sqlite", f"sqlite:///{instance / 'bench.db'}", fixture, args.runs, instance
            )
        lines += (
            run_on_postgres(
                args.postgres_url,
                PG_SCHEMA,
                instance,
                lambda url, folder: run_backend("postgresql", url, fixture, args.runs, folder),
                skip=args.skip_postgres,
            )
            or []
        )
    print()
    header = f"{'backend':<11} {'page':<17} {'p50 ms':>8} {'p95 ms':>8}"
    print(f"{header}   target: p95 < {TARGET_MS:.0f} ms")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
