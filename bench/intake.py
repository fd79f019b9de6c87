"""Intake under load: browser-sealed reports through gunicorn, against a one-row baseline.

    .venv/bin/python -m bench.intake [--n 500] [--concurrency 8] [--skip-postgres]

For each backend (SQLite, then PostgreSQL) the script prepares a fresh database (migrations
and a line key), serves `bench.bench_app:create_bench_app()` with gunicorn (gunicorn.conf.py as
production runs it: one worker process with ADVISORY_THREADS threads, 8 by default) on a free
loopback port, and drives it from this process with client threads:

1. prepare (untimed): every simulated reporter GETs /report (its own session cookie, CSRF
   token and submission token) and seals its narrative, and for a callback its number, to the
   line key from the page, with its own case code's lookup token and reply key, as report.js
   does; the baseline gets one session per client thread;
2. baseline: N POSTs of /bench/baseline (session cookie + CSRF token, one row, commit);
3. intake: the N reports POSTed to /report, plus about 5% duplicate posts of the same form
   (half right behind the original, racing it; half resent at the very end, after its receipt).

Steps 2 and 3 take turns in --rounds slices so that both see the same machine (other load on
a small host drifts); only their POSTs are timed. Afterwards the database is read directly:
every acknowledged report (a 303 to its receipt) must be stored exactly once, found by the HMAC of
its lookup token and by the HMAC of its submission token; every acknowledged baseline row too.

Throughput is acknowledged POSTs per second (duplicates answered with a receipt included; a
failed POST is no throughput), latencies are theirs. "cpu ms" is the CPU time of the gunicorn
worker per POST, all its threads (from /proc): what the server spent, however the client
threads, the worker and PostgreSQL share the cores. The exit status is 1 when a report is lost
or duplicated or a POST got no receipt; the throughput target is only reported. Server
tracebacks (the app withholds their messages) are summarised by exception type and innermost
project frame.

PostgreSQL: database `bench` (created if missing) on --postgres-url, schema `bench_intake`
selected with the search_path connection option, dropped again at the end; the test suite's
database is never touched. Unreachable PostgreSQL is skipped with a message.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode

import sqlalchemy as sa
from flask_migrate import upgrade

import crypto
from advisory import create_app
from advisory.context import db_session
from advisory.extensions import db
from advisory.models import Case, ContactPreference, Kind, Notification
from advisory.services import sealing
from advisory.services.intake import submission_token_hmac
from advisory.services.line_keys import initialise_line
from advisory.settings import PROJECT_ROOT
from advisory.timestamps import utcnow
from bench.bench_app import BASELINE_KEY_PREFIX, BASELINE_KIND, BASELINE_PATH
from bench.postgres import DEFAULT_POSTGRES_URL, run_on_sqlite_then_postgres
from bench.proc import cpu_seconds, pids_named
from crypto.encoding import b64url_encode

TARGET_RATIO = 0.6
WORKER_PROCESSES = 1  # gunicorn.conf.py's default, which the bench does not override
PG_SCHEMA = "bench_intake"
SESSION_COOKIE = "advisory_session"
UNLIMITED = "1000000 per hour"
PHONE = "+47 912 34 567"  # fake, well-formed
START_TIMEOUT = 30.0
HTTP_TIMEOUT = 60.0
WORDS = ("the", "stage", "manager", "kept", "keys", "to", "dressing", "rooms", "after", "shows")

T = TypeVar("T")

_HIDDEN_INPUT = re.compile(
    r'<input[^>]*\bname="(csrf_token|submission_token)"[^>]*\bvalue="([^"]*)"'
)
# What a browser adds to a same-origin fetch(), as report.js sends the form.
FETCH_HEADERS = {
    "Sec-Fetch-Dest": "empty",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "same-origin",
}
_LINE_KEY = re.compile(r'\bdata-line-key="([^"]+)"')
# What the page binds its envelopes to: the line and the reference this form's case will get.
_LINE_SLUG = re.compile(r'\bdata-line-slug="([^"]+)"')
_REFERENCE = re.compile(r'\bdata-reference="([^"]+)"')


# --- HTTP client ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    body: str
    cookie: str | None  # the session cookie the reply set, if any


def fetch(
    port: int,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
    cookie: str = "",
    by_script: bool = False,
) -> Reply:
    """One request on a fresh connection, closed after the reply.

    `by_script`: sent as report.js's fetch() is, with the headers the browser adds to it.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        headers = {"Cookie": cookie} if cookie else {}
        if by_script:
            headers.update(FETCH_HEADERS)
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        morsel = jar.get(SESSION_COOKIE)
        return Reply(response.status, text, f"{SESSION_COOKIE}={morsel.value}" if morsel else None)
    finally:
        connection.close()


@dataclass(frozen=True)
class FormPage:
    cookie: str
    csrf_token: str
    submission_token: str
    line_key: str
    bound_to: crypto.EnvelopeContext


def open_report_form(port: int) -> FormPage:
    reply = fetch(port, "GET", "/report")
    if reply.status != 200 or reply.cookie is None:
        raise RuntimeError(f"GET /report answered {reply.status}")
    values: dict[str, str] = {}
    for name, value in _HIDDEN_INPUT.findall(reply.body):
        values.setdefault(name, value)
    key, slug, reference = (
        pattern.search(reply.body) for pattern in (_LINE_KEY, _LINE_SLUG, _REFERENCE)
    )
    if key is None or slug is None or reference is None or len(values) != 2:
        raise RuntimeError("GET /report: no line key, reference or tokens on the page")
    bound_to = crypto.EnvelopeContext(slug.group(1), reference.group(1), sealing.TO_LINE)
    return FormPage(
        reply.cookie, values["csrf_token"], values["submission_token"], key.group(1), bound_to
    )


# --- what the client sends -----------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One reporter's filled-in, browser-sealed form, ready to POST."""

    cookie: str
    form: dict[str, str]
    lookup_token: bytes
    submission_token: str


def sealed_report(page: FormPage, rng: random.Random, callback: bool) -> Report:
    """The form as report.js sends it: envelopes, lookup token, reply key; no plaintext."""
    code = crypto.generate_case_code()
    line_key = crypto.public_key_from_text(page.line_key)
    narrative = " ".join(rng.choices(WORDS, k=rng.randint(10, 300)))
    token = crypto.lookup_token(code)
    form = {
        "csrf_token": page.csrf_token,
        "submission_token": page.submission_token,
        "kind": rng.choice([kind.value for kind in Kind]),
        "contact_preference": (
            ContactPreference.CALLBACK if callback else ContactPreference.INBOX
        ).value,
        "slot": "any",
        "encryption": "browser",
        "narrative_envelope": crypto.seal("narrative", narrative, line_key, page.bound_to),
        "contact_envelope": (
            crypto.seal("contact", PHONE, line_key, page.bound_to) if callback else ""
        ),
        "lookup_token": b64url_encode(token),
        "reporter_public_key": crypto.public_key_to_text(
            crypto.reporter_private_key(code).public_key()
        ),
    }
    if callback:
        form["voicemail_ok"] = "no"
    return Report(page.cookie, form, token, page.submission_token)


@dataclass
class Outcome:
    status: int  # 0: the request itself failed
    seconds: float
    acknowledged: bool
    detail: str = ""


def post_report(port: int, report: Report) -> Outcome:
    started = time.perf_counter()
    try:
        reply = fetch(port, "POST", "/report", report.form, report.cookie, by_script=True)
    except OSError as exc:
        return Outcome(0, time.perf_counter() - started, False, type(exc).__name__)
    seconds = time.perf_counter() - started
    # A stored report answers with a redirect to its receipt, made after the commit.
    ok = reply.status == 303
    return Outcome(reply.status, seconds, ok, "" if ok else _excerpt(reply.body))


def post_baseline(port: int, page: FormPage, key: str) -> Outcome:
    started = time.perf_counter()
    form = {"csrf_token": page.csrf_token, "key": key}
    try:
        reply = fetch(port, "POST", BASELINE_PATH, form, page.cookie, by_script=True)
    except OSError as exc:
        return Outcome(0, time.perf_counter() - started, False, type(exc).__name__)
    return Outcome(reply.status, time.perf_counter() - started, reply.status == 200)


def _excerpt(body: str) -> str:
    """What a failed POST's page says: its title, or the text around the first error."""
    title = re.search(r"<title>([^<]*)</title>", body)
    if title and not re.search(r'class="[^"]*error', body):
        return " ".join(title.group(1).split())
    found = re.search(r"error|fail|locked", body, re.IGNORECASE)
    start = max(0, found.start() - 80) if found else 0
    return " ".join(re.sub(r"<[^>]+>", " ", body[start : start + 400]).split())[:200]


# --- running tasks with bounded concurrency ------------------------------------------------------


@dataclass
class Phase:
    name: str
    wall: float
    outcomes: list[Outcome]
    server_cpu: float  # seconds of gunicorn worker CPU during the phase
    client_cpu: float  # seconds of this process's CPU (all client threads) during the phase
    database_cpu: float  # seconds of PostgreSQL server CPU during the phase (SQLite: 0)

    @classmethod
    def joined(cls, rounds: Sequence[Phase]) -> Phase:
        return cls(
            rounds[0].name,
            sum(p.wall for p in rounds),
            [o for p in rounds for o in p.outcomes],
            sum(p.server_cpu for p in rounds),
            sum(p.client_cpu for p in rounds),
            sum(p.database_cpu for p in rounds),
        )

    @property
    def count(self) -> int:
        return len(self.outcomes)

    @property
    def acknowledged(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.acknowledged]

    @property
    def rate(self) -> float:
        """Acknowledged POSTs per second: a failed POST is no throughput, however fast."""
        return len(self.acknowledged) / self.wall if self.wall else 0.0

    def percentile_ms(self, share: float) -> float:
        """Nearest-rank latency percentile of the acknowledged POSTs."""
        ordered = sorted(o.seconds for o in self.acknowledged)
        if not ordered:
            return 0.0
        return ordered[max(1, round(share * len(ordered))) - 1] * 1000

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / self.count * 1000 if self.count else 0.0

    @property
    def database_cpu_ms(self) -> float:
        return self.database_cpu / self.count * 1000 if self.count else 0.0

    def failures(self) -> Counter[str]:
        return Counter(
            f"HTTP {o.status}: {o.detail}" if o.status else f"no reply: {o.detail}"
            for o in self.outcomes
            if not o.acknowledged
        )


def run_phase(
    name: str,
    tasks: Sequence[Callable[[], Outcome]],
    concurrency: int,
    server: Server,
    database_cpu: Callable[[], float],
) -> Phase:
    server_before, client_before = server.worker_cpu(), time.process_time()
    database_before = database_cpu()
    started = time.perf_counter()
    outcomes = gather(tasks, concurrency)
    wall = time.perf_counter() - started
    return Phase(
        name,
        wall,
        outcomes,
        server.worker_cpu() - server_before,
        time.process_time() - client_before,
        database_cpu() - database_before,
    )


def no_database_cpu() -> float:
    """SQLite runs inside the gunicorn workers: its CPU is already theirs."""
    return 0.0


def postgres_server_cpu() -> float:
    """PostgreSQL runs beside the benchmark on the same cores: its CPU is not the workers'.
    Every PostgreSQL process on the host counts, other databases' work included."""
    return cpu_seconds(pids_named("postgres"))


def gather(calls: Sequence[Callable[[], T]], concurrency: int) -> list[T]:
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda call: call(), calls))


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(instance: Path, database_url: str, secret_hex: dict[str, str]) -> dict[str, str]:
    """The process environment without the developer's own settings, plus the bench's."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("ADVISORY_") and k != "DATABASE_URL"
    }
    env.update(
        {
            "ADVISORY_INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "ADVISORY_SECURE_COOKIES": "false",  # plain http on loopback
            "ADVISORY_EMBEDDED_SCHEDULER": "false",
            "ADVISORY_REPORT_LIMIT": UNLIMITED,
            "ADVISORY_LOOKUP_LIMIT": UNLIMITED,
            **secret_hex,
        }
    )
    return env


class Server:
    """gunicorn serving bench.bench_app:create_bench_app() with the project's gunicorn.conf.py."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{self.port}",
            "bench.bench_app:create_bench_app()",
        ]
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            command, cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                answered = fetch(self.port, "GET", "/api/v1/line-key").status == 200
                if answered and len(self.worker_pids()) == WORKER_PROCESSES:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT:.0f} s")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def worker_cpu(self) -> float:
        """User + system CPU seconds of the current workers (0 where /proc is missing)."""
        return cpu_seconds(self.worker_pids())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: workers finish their request
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def log_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        access = re.compile(r"^- - \[")
        return "\n".join([line for line in text if not access.match(line)][-lines:])


@contextmanager
def serving(env: dict[str, str], log_path: Path) -> Iterator[Server]:
    server = Server(env, log_path)
    try:
        try:
            server.wait_ready()
        except RuntimeError:
            server.stop()
            print(server.log_tail(), file=sys.stderr)
            raise
        yield server
    finally:
        server.stop()


# --- databases ---------------------------------------------------------------------------------


def prepare_database(env: dict[str, str]) -> None:
    """Migrations and the line key, in this process, as `flask init` would do them."""
    app = create_app(env)
    with app.app_context():
        upgrade()
        initialise_line(db_session(), now=utcnow(), iterations=1000)  # fast KDF: not measured
        db_session().commit()
        db.engine.dispose()


@dataclass
class Verdict:
    acknowledged: int  # distinct reports that got a receipt
    lost: int  # acknowledged, not stored
    duplicated: int  # stored more than once (extra rows)
    unacknowledged_stored: int  # stored, but the client saw no receipt
    baseline_acknowledged: int
    baseline_stored: int


def verify(
    database_url: str, pepper: bytes, acknowledged: Sequence[Report], baseline_keys: set[str]
) -> Verdict:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(Case.id, Case.reporter_lookup_hmac, Case.submission_token_hmac)
            ).all()
            stored_keys = set(
                connection.scalars(
                    sa.select(Notification.dedupe_key).where(Notification.kind == BASELINE_KIND)
                )
            )
    finally:
        engine.dispose()

    by_lookup: dict[bytes, set[int]] = {}
    by_token: dict[bytes, set[int]] = {}
    for case_id, lookup, token in rows:
        if lookup is not None:
            by_lookup.setdefault(bytes(lookup), set()).add(case_id)
        if token is not None:
            by_token.setdefault(bytes(token), set()).add(case_id)

    lost = duplicated = 0
    matched: set[int] = set()
    distinct = {report.submission_token: report for report in acknowledged}.values()
    for report in distinct:
        ids = by_lookup.get(crypto.lookup_hmac(pepper, report.lookup_token), set()) | by_token.get(
            submission_token_hmac(pepper, report.submission_token), set()
        )
        matched |= ids
        lost += not ids
        duplicated += max(0, len(ids) - 1)
    wanted = {BASELINE_KEY_PREFIX + key for key in baseline_keys}
    return Verdict(
        acknowledged=len(distinct),
        lost=lost,
        duplicated=duplicated,
        unacknowledged_stored=len(rows) - len(matched),
        baseline_acknowledged=len(wanted),
        baseline_stored=len(wanted & stored_keys),
    )


# --- one backend -------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    n: int
    concurrency: int
    intake: Phase
    baseline: Phase
    verdict: Verdict
    errors: Counter[str]  # exception lines in the server's log (messages withheld by the app)

    @property
    def ratio(self) -> float:
        return self.intake.rate / self.baseline.rate if self.baseline.rate else 0.0


def run_backend(
    backend: str, database_url: str, instance: Path, args: argparse.Namespace
) -> Result:
    secret_hex = {
        f"ADVISORY_{name}": secrets.token_hex(32) for name in ("SECRET_KEY", "PEPPER", "DATA_KEY")
    }
    pepper = bytes.fromhex(secret_hex["ADVISORY_PEPPER"])
    env = server_env(instance, database_url, secret_hex)
    prepare_database(env)
    database_cpu = postgres_server_cpu if backend == "postgresql" else no_database_cpu
    rng = random.Random(args.seed)
    acked: list[Report] = []
    baseline_acked: set[str] = set()
    lock = threading.Lock()

    with serving(env, instance / "gunicorn.log") as server:
        port = server.port

        def reports(count: int) -> list[Report]:
            pages = gather([lambda: open_report_form(port)] * count, args.concurrency)
            return [sealed_report(page, rng, rng.random() < args.callbacks) for page in pages]

        def send(report: Report) -> Callable[[], Outcome]:
            def task() -> Outcome:
                outcome = post_report(port, report)
                if outcome.acknowledged:
                    with lock:
                        acked.append(report)
                return outcome

            return task

        def baseline(page: FormPage, key: str) -> Callable[[], Outcome]:
            def task() -> Outcome:
                outcome = post_baseline(port, page, key)
                if outcome.acknowledged:
                    with lock:
                        baseline_acked.add(key)
                return outcome

            return task

        # Untimed: the baseline's sessions (one per client thread), a warm-up of both kinds
        # of POST, and every reporter's form page and sealed fields.
        pages = gather([lambda: open_report_form(port)] * args.concurrency, args.concurrency)
        warm = 2 * args.concurrency
        run_phase(
            "warm-up",
            [baseline(pages[i % len(pages)], f"warm-{i}") for i in range(warm)]
            + [send(r) for r in reports(warm)],
            args.concurrency,
            server,
            database_cpu,
        )
        prepared = reports(args.n)
        base_tasks = [baseline(pages[i % len(pages)], f"{backend}-{i}") for i in range(args.n)]
        intake_tasks: list[Callable[[], Outcome]] = [send(r) for r in prepared]
        resend_late: list[Callable[[], Outcome]] = []
        twice = sorted(rng.sample(range(args.n), round(args.duplicates * args.n)), reverse=True)
        for j, index in enumerate(twice):
            if j % 2:
                resend_late.append(send(prepared[index]))  # after its receipt: back, send again
            else:
                intake_tasks.insert(index + 1, send(prepared[index]))  # double click: races it

        # Timed: baseline and intake take turns, so that both see the same machine.
        base_rounds, intake_rounds = [], []
        for r in range(args.rounds):
            chunk = slice(r * args.n // args.rounds, (r + 1) * args.n // args.rounds)
            base_rounds.append(
                run_phase("baseline", base_tasks[chunk], args.concurrency, server, database_cpu)
            )
            chunk = slice(
                r * len(intake_tasks) // args.rounds, (r + 1) * len(intake_tasks) // args.rounds
            )
            last = resend_late if r == args.rounds - 1 else []
            intake_rounds.append(
                run_phase(
                    "intake", intake_tasks[chunk] + last, args.concurrency, server, database_cpu
                )
            )

    verdict = verify(database_url, pepper, acked, baseline_acked)
    errors = logged_errors(instance / "gunicorn.log")
    return Result(
        backend,
        args.n,
        args.concurrency,
        Phase.joined(intake_rounds),
        Phase.joined(base_rounds),
        verdict,
        errors,
    )


def logged_errors(log_path: Path) -> Counter[str]:
    """Each traceback the app logged, as its exception type (the app withholds the message)
    and the innermost frame of the project's own code."""
    found: Counter[str] = Counter()
    last_frame = ""
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith(f'  File "{PROJECT_ROOT}/') and "/.venv/" not in line:
            last_frame = line.strip()
        elif _EXCEPTION_LINE.match(line):
            found[f"{line.split(':')[0]} at {_short_frame(last_frame)}"] += 1
    return found


def _short_frame(frame: str) -> str:
    match = re.match(r'File "(.+)", line (\d+), in (\S+)', frame)
    if not match:
        return "?"
    path, line, function = match.groups()
    return f"{Path(path).relative_to(PROJECT_ROOT)}:{line} {function}"


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Conflict|Unavailable)\b")


# --- output ------------------------------------------------------------------------------------


COLUMNS = (
    ("backend", "<10"),
    ("N", ">5"),
    ("conc", ">4"),
    ("intake/s", ">8"),
    ("p50 ms", ">7"),
    ("p99 ms", ">7"),
    ("cpu ms", ">6"),
    ("base/s", ">7"),
    ("p50 ms", ">7"),
    ("p99 ms", ">7"),
    ("cpu ms", ">6"),
    ("ratio", ">5"),
    ("lost", ">4"),
    ("dup", ">3"),
    ("fail", ">4"),
)
LEGEND = (
    "intake/s, base/s: acknowledged POSTs per second; p50, p99: their latency; cpu ms: gunicorn\n"
    "worker CPU per POST; ratio: intake/s over base/s; lost, dup: acknowledged reports stored\n"
    "0 or 2+ times; fail: intake POSTs without a receipt (their causes are listed below)"
)


def table(results: Sequence[Result]) -> str:
    head = "  ".join(f"{name:{spec}}" for name, spec in COLUMNS)
    lines = [head, "-" * len(head)]
    for r in results:
        i, b, v = r.intake, r.baseline, r.verdict
        cells = (
            r.backend,
            r.n,
            r.concurrency,
            f"{i.rate:.1f}",
            f"{i.percentile_ms(0.5):.1f}",
            f"{i.percentile_ms(0.99):.1f}",
            f"{i.cpu_ms:.1f}",
            f"{b.rate:.1f}",
            f"{b.percentile_ms(0.5):.1f}",
            f"{b.percentile_ms(0.99):.1f}",
            f"{b.cpu_ms:.1f}",
            f"{r.ratio:.2f}",
            v.lost,
            v.duplicated,
            i.count - len(i.acknowledged),
        )
        lines.append(
            "  ".join(f"{cell:{spec}}" for cell, (_, spec) in zip(cells, COLUMNS, strict=True))
        )
    return "\n".join([*lines, LEGEND])


def details(r: Result) -> list[str]:
    v = r.verdict
    met = "met" if r.ratio >= TARGET_RATIO else "NOT met"
    lines = [
        f"{r.backend}: {r.intake.count} intake POSTs ({r.n} reports + "
        f"{r.intake.count - r.n} duplicate posts) in {r.intake.wall:.1f} s; "
        f"{r.baseline.count} baseline POSTs in {r.baseline.wall:.1f} s; client CPU "
        f"{r.intake.client_cpu:.1f} s and {r.baseline.client_cpu:.1f} s",
        f"  stored: {v.acknowledged} acknowledged reports, lost {v.lost}, duplicated "
        f"{v.duplicated}, stored without receipt {v.unacknowledged_stored}; baseline rows "
        f"{v.baseline_stored}/{v.baseline_acknowledged}",
        f"  target intake >= {TARGET_RATIO} x baseline: {met} ({r.ratio:.2f})",
    ]
    if r.intake.database_cpu or r.baseline.database_cpu:
        lines.append(
            f"  PostgreSQL server CPU per POST (all its processes on this host): intake "
            f"{r.intake.database_cpu_ms:.2f} ms, baseline {r.baseline.database_cpu_ms:.2f} ms"
        )
    for phase in (r.intake, r.baseline):
        for what, count in phase.failures().most_common(5):
            lines.append(f"  {phase.name} not acknowledged x{count}: {what[:120]}")
    for what, count in r.errors.most_common(5):
        lines.append(f"  server log, whole run incl. warm-up, x{count}: {what}")
    return lines


def broken(r: Result) -> bool:
    v = r.verdict
    unexpected = [o for o in r.intake.outcomes + r.baseline.outcomes if not o.acknowledged]
    return bool(v.lost or v.duplicated or unexpected or v.baseline_stored < v.baseline_acknowledged)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n", type=int, default=500, help="reports (and baseline posts) per backend"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument(
        "--duplicates", type=float, default=0.05, help="share of reports sent twice"
    )
    parser.add_argument("--callbacks", type=float, default=0.1, help="share asking for a callback")
    parser.add_argument(
        "--rounds", type=int, default=5, help="baseline and intake take turns this many times"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        print(
            f"sqlite: {args.n} reports, {args.concurrency} client threads, "
            f"{WORKER_PROCESSES} gunicorn worker process (threads: gunicorn.conf.py)"
        )
        results = run_on_sqlite_then_postgres(
            args.postgres_url,
            PG_SCHEMA,
            Path(tmp),
            lambda backend, url, folder: run_backend(backend, url, folder, args),
            skip_postgres=args.skip_postgres,
        )

    print()
    print(table(results))
    print()
    for result in results:
        print("\n".join(details(result)))
    return 1 if any(broken(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
