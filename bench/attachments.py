"""Evidence uploads under load: sealed files through gunicorn against a bare chunk store, the
worker's memory while they come in, and the browser's part (sealing, stripping metadata).

    .venv/bin/python -m bench.attachments [--clients 4] [--size-mb 20] [--files 3]
        [--small-mb 5] [--skip-postgres] [--skip-browser]

For each backend (SQLite, then PostgreSQL) the script prepares a fresh database as
bench/intake.py does (migrations and a line key) and, for each file size (--small-mb, then
--size-mb), serves `bench.bench_app:create_bench_app()` with gunicorn.conf.py (one worker
process with threads) in a fresh process, with the attachment limits raised to the size and
the rate limits out of reach. Each of --clients client threads GETs /report (its session
cookie, CSRF token and submission token) and sends --files files, one after another:

1. untimed: a random payload (the size less 1000 bytes, as a file is rarely a bucket) padded
   with `crypto.stream.pad_to_bucket` and sealed with `seal_chunks` under a fresh content key,
   cut into batches of 16 sealed chunks, as the page's script sends them;
2. intake, timed: `POST /api/v1/uploads` (submission_token, padded_bytes), then one
   `PUT /api/v1/uploads/chunks/<first>` per batch with the Upload-Token header; the CSRF
   token travels in X-CSRFToken, as attachments.js sends it;
3. baseline, timed: the same batches, by the same client and session, to
   `PUT /bench/chunks/<first>` (bench/bench_app.py), which inserts them as AttachmentChunk rows
   under a dummy attachment made beforehand and commits, with no token, progress or checks.

Baseline and intake take turns file by file (which goes first alternates), so both see the
same machine; only their requests are timed. Throughput is padded megabytes (2^20 bytes, as
the settings count) of acknowledged files per second of wall time, all clients together.
The upload rate limit (300 requests an hour per address, which no setting changes) is kept out
of reach as each file comes from its own loopback address (127.1.x.y): every client address
the limiter counts stays far below it.

The gunicorn worker's resident set is sampled every 10 ms (/proc/<pid>/statm) from the end of
a warm-up (one 2 MB file per client through both routes) to the end of the last file, and its
kernel high-water mark (VmHWM, reset at the start through clear_refs) catches what falls
between samples; the growth is the peak over the resident set at the start.

Afterwards the database is read directly: every file the server acknowledged must be stored
once (one attachment per announcement, complete, chunk numbers 0..n-1), each chunk equal to
the one sent (SHA-256), and the last file of each client at each size is opened with its
content key (`crypto.stream.StreamOpener`) and compared with the payload. The exit status is 1
when an upload failed, was lost or came back different; the throughput and memory targets are
only reported.

Unless --skip-browser, bench/attachments_browser.py then times in Chromium sealing 50 MB with
/static/js/crypto/stream.js, and stripping a 12-megapixel JPEG in the browser and in Python.

PostgreSQL: database `bench` (created if missing) on --postgres-url, schema
`bench_attachments`, dropped again at the end; the test suite's database is never touched.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import itertools
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from advisory.models import Attachment, AttachmentChunk, Direction
from advisory.reporter.uploads import TOKEN_HEADER
from advisory.services.attachments import CHUNKS_PER_BATCH, owner_of_report, sealed_stream
from advisory.timestamps import utcnow
from bench.attachments_browser import browser_figures
from bench.bench_app import CHUNKS_ATTACHMENT_HEADER, CHUNKS_PATH
from bench.intake import (
    FETCH_HEADERS,
    HTTP_TIMEOUT,
    FormPage,
    Outcome,
    Phase,
    Server,
    gather,
    logged_errors,
    no_database_cpu,
    open_report_form,
    postgres_server_cpu,
    prepare_database,
    run_phase,
    server_env,
    serving,
)
from bench.postgres import DEFAULT_POSTGRES_URL, run_on_sqlite_then_postgres
from crypto.stream import (
    StreamOpener,
    new_content_key,
    pad_to_bucket,
    padme,
    seal_chunks,
    sealed_length,
)

MIB = 1024 * 1024
TARGET_RATIO = 0.7
TARGET_RSS_GROWTH_MB = 64
PG_SCHEMA = "bench_attachments"
UPLOAD_PATH = "/api/v1/uploads"
SHORT_OF_BUCKET = 1000  # a payload's true size: the nominal size less this
WARM_UP_MB = 2
RSS_INTERVAL = 0.01
DUMMY_OWNER = bytes(32)  # the dummy attachments' owner: the HMAC of no form


# --- what the client sends -----------------------------------------------------------------


@dataclass
class SealedFile:
    """One client's file, sealed before it is timed; what was sent, to check what was stored."""

    page: FormPage  # the client's /report page: session, CSRF and submission token
    index: int  # 0: the warm-up
    source: str  # the loopback address it is sent from
    dummy_id: int  # the baseline's attachment
    padded_bytes: int
    content_key: bytes = field(repr=False)
    payload_digest: bytes  # SHA-256 of the padded plaintext
    chunk_digests: list[bytes]  # SHA-256 of each sealed chunk
    batches: list[bytes] = field(repr=False)  # 16 sealed chunks each; dropped after sending
    announced: bool = False
    acknowledged: bool = False  # the server holds every chunk, it says
    stored_bare: bool = False  # the baseline acknowledged all its batches

    @property
    def chunk_count(self) -> int:
        return len(self.chunk_digests)


def seal_file(page: FormPage, index: int, source: str, dummy_id: int, megabytes: int) -> SealedFile:
    padded = pad_to_bucket(os.urandom(megabytes * MIB - SHORT_OF_BUCKET))
    key = new_content_key()
    chunks = seal_chunks(key, padded)
    return SealedFile(
        page=page,
        index=index,
        source=source,
        dummy_id=dummy_id,
        padded_bytes=len(padded),
        content_key=key,
        payload_digest=hashlib.sha256(padded).digest(),
        chunk_digests=[hashlib.sha256(chunk).digest() for chunk in chunks],
        batches=[
            b"".join(chunks[at : at + CHUNKS_PER_BATCH])
            for at in range(0, len(chunks), CHUNKS_PER_BATCH)
        ],
    )


def call(
    port: int,
    method: str,
    path: str,
    file: SealedFile,
    *,
    form: dict[str, str] | None = None,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, object]]:
    """One request from the file's address with its client's session, as attachments.js
    sends it; the status and the JSON answer ({} if there is none)."""
    sent = {
        "Cookie": file.page.cookie,
        "X-CSRFToken": file.page.csrf_token,
        "Accept": "application/json",
        **FETCH_HEADERS,
        **(headers or {}),
    }
    if form is not None:
        body = urlencode(form).encode()
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        sent["Content-Type"] = "application/octet-stream"
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=HTTP_TIMEOUT, source_address=(file.source, 0)
    )
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {}
    return response.status, answer if isinstance(answer, dict) else {}


def upload(port: int, file: SealedFile) -> Outcome:
    """Announce the file and PUT its batches; acknowledged when the server holds them all."""
    started = time.perf_counter()
    try:
        status, answer = call(
            port,
            "POST",
            UPLOAD_PATH,
            file,
            form={
                "submission_token": file.page.submission_token,
                "padded_bytes": str(file.padded_bytes),
            },
        )
        token = answer.get("upload")
        if status != 201 or not isinstance(token, str):
            return Outcome(status, time.perf_counter() - started, False, f"announce: {answer}")
        file.announced = True
        for number, batch in enumerate(file.batches):
            first = number * CHUNKS_PER_BATCH
            status, answer = call(
                port,
                "PUT",
                f"{UPLOAD_PATH}/chunks/{first}",
                file,
                body=batch,
                headers={TOKEN_HEADER: token},
            )
            if status != 200:
                return Outcome(status, time.perf_counter() - started, False, f"chunks: {answer}")
    except OSError as exc:
        return Outcome(0, time.perf_counter() - started, False, type(exc).__name__)
    file.acknowledged = answer.get("next") == answer.get("chunks") == file.chunk_count
    return Outcome(status, time.perf_counter() - started, file.acknowledged, str(answer))


def store_bare(port: int, file: SealedFile) -> Outcome:
    """The same batches to the bench's bare chunk store, under the file's dummy attachment."""
    started = time.perf_counter()
    status = 0
    try:
        for number, batch in enumerate(file.batches):
            status, _ = call(
                port,
                "PUT",
                f"{CHUNKS_PATH}/{number * CHUNKS_PER_BATCH}",
                file,
                body=batch,
                headers={CHUNKS_ATTACHMENT_HEADER: str(file.dummy_id)},
            )
            if status != 200:
                return Outcome(status, time.perf_counter() - started, False, "bare store")
    except OSError as exc:
        return Outcome(0, time.perf_counter() - started, False, type(exc).__name__)
    file.stored_bare = True
    return Outcome(status, time.perf_counter() - started, True)


def dummy_attachments(database_url: str, count: int) -> list[int]:
    """Attachments for the baseline's chunks: unclaimed, no expiry, owned by no form."""
    engine = sa.create_engine(database_url)
    try:
        with Session(engine) as session:
            rows = [
                Attachment(
                    direction=Direction.FROM_REPORTER,
                    upload_token_hmac=secrets.token_bytes(32),
                    owner_hmac=DUMMY_OWNER,
                    padded_bytes=1,
                    chunk_count=1,
                    chunks_received=0,
                    created_at=utcnow(),
                    expires_at=None,
                )
                for _ in range(count)
            ]
            session.add_all(rows)
            session.flush()
            ids = [row.id for row in rows]
            session.commit()
            return ids
    finally:
        engine.dispose()


# --- the worker's memory -------------------------------------------------------------------


class ResidentSet:
    """The peak resident set of a process while in the `with` block, sampled every 10 ms in a
    thread, and checked against the kernel's high-water mark (reset on entry) at the end."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.start = self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ResidentSet:
        with contextlib.suppress(OSError):  # "5": VmHWM back to the resident set (Linux 4.0+)
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        self.start = self.peak = self.current()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._status_bytes("VmHWM"))

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / MIB

    def current(self) -> int:
        try:
            pages = int(Path(f"/proc/{self.pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            return 0
        return pages * os.sysconf("SC_PAGE_SIZE")

    def _sample(self) -> None:
        while not self._stop.wait(RSS_INTERVAL):
            self.peak = max(self.peak, self.current())

    def _status_bytes(self, name: str) -> int:
        try:
            lines = Path(f"/proc/{self.pid}/status").read_text().splitlines()
        except OSError:
            return 0
        for line in lines:
            if line.startswith(f"{name}:"):
                return int(line.split()[1]) * 1024  # kB
        return 0


# --- one backend, one size -----------------------------------------------------------------


@dataclass
class SizeRun:
    backend: str
    megabytes: int
    padded_bytes: int
    files: int  # timed files per client
    intake: Phase
    baseline: Phase
    rss_start_mb: float
    rss_growth_mb: float

    def mb_per_s(self, phase: Phase) -> float:
        return phase.rate * self.padded_bytes / MIB

    @property
    def ratio(self) -> float:
        base = self.mb_per_s(self.baseline)
        return self.mb_per_s(self.intake) / base if base else 0.0

    def cpu_ms_per_mb(self, phase: Phase, cpu: float) -> float:
        megabytes = len(phase.acknowledged) * self.padded_bytes / MIB
        return cpu / megabytes * 1000 if megabytes else 0.0


def run_size(
    backend: str,
    env: dict[str, str],
    database_url: str,
    instance: Path,
    megabytes: int,
    args: argparse.Namespace,
    sent: list[SealedFile],
) -> SizeRun:
    """One gunicorn process, a warm-up, then --files files per client, baseline and intake
    taking turns; every file sealed is added to `sent`."""
    database_cpu = postgres_server_cpu if backend == "postgresql" else no_database_cpu
    dummies = iter(dummy_attachments(database_url, args.clients * (args.files + 1)))
    # Each file from a loopback address of its own (127.1.0.1, 127.1.0.2, ...): a rate-limit
    # key of its own. The counts are this gunicorn process's, so each run starts again.
    sources = (f"127.1.{n // 250}.{n % 250 + 1}" for n in itertools.count())
    with serving(env, instance / f"gunicorn-{megabytes}mb.log") as server:
        port = server.port
        pages = gather([lambda: open_report_form(port)] * args.clients, args.clients)

        def seal_round(index: int, size: int) -> list[SealedFile]:
            files = [seal_file(page, index, next(sources), next(dummies), size) for page in pages]
            sent.extend(files)
            return files

        def each(
            files: list[SealedFile], send: Callable[[int, SealedFile], Outcome]
        ) -> list[Callable[[], Outcome]]:
            return [lambda file=file: send(port, file) for file in files]

        warm = seal_round(0, WARM_UP_MB)
        gather([*each(warm, store_bare), *each(warm, upload)], args.clients)
        for file in warm:
            file.batches = []

        intake_rounds, base_rounds = [], []
        with ResidentSet(_worker(server)) as memory:
            for index in range(1, args.files + 1):
                files = seal_round(index, megabytes)
                turns = [
                    ("baseline", store_bare, base_rounds),
                    ("intake", upload, intake_rounds),
                ]
                for name, send, rounds in turns if index % 2 else turns[::-1]:
                    rounds.append(
                        run_phase(name, each(files, send), args.clients, server, database_cpu)
                    )
                for file in files:
                    file.batches = []
    return SizeRun(
        backend,
        megabytes,
        padme(megabytes * MIB - SHORT_OF_BUCKET),
        args.files,
        Phase.joined(intake_rounds),
        Phase.joined(base_rounds),
        memory.start / MIB,
        memory.growth_mb,
    )


def _worker(server: Server) -> int:
    (pid,) = server.worker_pids()  # gunicorn.conf.py: one worker process
    return pid


# --- reading back what was stored ----------------------------------------------------------


@dataclass
class Verdict:
    acknowledged: int = 0  # files the server said it holds whole
    intact: int = 0  # ... stored once, complete, every chunk as sent
    lost: int = 0  # ... not found whole (missing chunks, attachment or progress)
    corrupted: int = 0  # ... a stored chunk differs from the one sent
    opened: int = 0  # sampled files opened with their content key, equal to the payload
    open_failed: int = 0
    stray: int = 0  # attachments of the clients' forms beyond those announced
    bare_acknowledged: int = 0
    bare_stored: int = 0  # ... with all their chunks and bytes under their dummy

    @property
    def broken(self) -> bool:
        return bool(
            self.lost
            or self.corrupted
            or self.open_failed
            or self.stray
            or self.bare_stored < self.bare_acknowledged
        )


def verify(database_url: str, pepper: bytes, sent: Sequence[SealedFile], last: int) -> Verdict:
    """Check every acknowledged file against the database; open the last file of each client
    at each size (`index == last`) with its content key."""
    verdict = Verdict()
    engine = sa.create_engine(database_url)
    try:
        with Session(engine) as session:
            by_form: dict[str, list[SealedFile]] = {}
            for file in sent:
                by_form.setdefault(file.page.submission_token, []).append(file)
            for token, files in by_form.items():
                stored = session.scalars(
                    sa.select(Attachment)
                    .where(Attachment.owner_hmac == owner_of_report(pepper, token))
                    .order_by(Attachment.id)
                ).all()
                announced = [file for file in files if file.announced]
                acknowledged = [file for file in files if file.acknowledged]
                verdict.acknowledged += len(acknowledged)
                verdict.stray += max(0, len(stored) - len(announced))
                if len(stored) != len(announced):
                    verdict.lost += len(acknowledged)  # cannot tell which is which
                    continue
                # A client announces its files one after another: ids follow the order sent.
                for file, attachment in zip(announced, stored, strict=True):
                    if file.acknowledged:
                        _check(session, file, attachment, file.index == last, verdict)
            _check_bare(session, sent, verdict)
    finally:
        engine.dispose()
    return verdict


def _check(
    session: Session, file: SealedFile, attachment: Attachment, sample: bool, verdict: Verdict
) -> None:
    count, low, high = session.execute(
        sa.select(
            sa.func.count(), sa.func.min(AttachmentChunk.seq), sa.func.max(AttachmentChunk.seq)
        ).where(AttachmentChunk.attachment_id == attachment.id)
    ).one()
    n = file.chunk_count
    whole = (
        attachment.padded_bytes == file.padded_bytes
        and attachment.chunk_count == attachment.chunks_received == n
        and (count, low, high) == (n, 0, n - 1)  # the primary key: each number once
    )
    if not whole:
        verdict.lost += 1
        return
    opener = StreamOpener(file.content_key) if sample else None
    plaintext = hashlib.sha256()
    same = True
    for position, sealed in enumerate(sealed_stream(session, attachment)):
        same = same and hashlib.sha256(sealed).digest() == file.chunk_digests[position]
        if opener is not None and same:
            plaintext.update(opener.open(position, bytes(sealed)))
    if not same:
        verdict.corrupted += 1
        return
    verdict.intact += 1
    if opener is not None:
        opener.finish()
        if plaintext.digest() == file.payload_digest:
            verdict.opened += 1
        else:
            verdict.open_failed += 1


def _check_bare(session: Session, sent: Sequence[SealedFile], verdict: Verdict) -> None:
    acknowledged = {file.dummy_id: file for file in sent if file.stored_bare}
    rows = session.execute(
        sa.select(
            AttachmentChunk.attachment_id,
            sa.func.count(),
            sa.func.sum(sa.func.length(AttachmentChunk.sealed)),
        )
        .where(AttachmentChunk.attachment_id.in_(acknowledged))
        .group_by(AttachmentChunk.attachment_id)
    ).all()
    verdict.bare_acknowledged = len(acknowledged)
    verdict.bare_stored = sum(
        1
        for dummy_id, count, total in rows
        if (count, total)
        == (acknowledged[dummy_id].chunk_count, sealed_length(acknowledged[dummy_id].padded_bytes))
    )


# --- one backend ---------------------------------------------------------------------------


@dataclass
class BackendResult:
    backend: str
    sizes: list[SizeRun]
    verdict: Verdict
    errors: Counter[str]


def run_backend(
    backend: str, database_url: str, instance: Path, args: argparse.Namespace
) -> BackendResult:
    secret_hex = {
        f"ADVISORY_{name}": secrets.token_hex(32) for name in ("SECRET_KEY", "PEPPER", "DATA_KEY")
    }
    largest = max(args.size_mb, args.small_mb, WARM_UP_MB)
    env = server_env(instance, database_url, secret_hex) | {
        "ADVISORY_ATTACHMENT_MAX_MB": str(largest),
        "ADVISORY_ATTACHMENT_TOTAL_MB": str(largest * (args.files + 1)),
        "ADVISORY_ATTACHMENT_MAX_FILES": str(args.files + 1),
    }
    prepare_database(env)
    sent: list[SealedFile] = []
    sizes = [
        run_size(backend, env, database_url, instance, megabytes, args, sent)
        for megabytes in (args.small_mb, args.size_mb)
    ]
    verdict = verify(database_url, bytes.fromhex(secret_hex["ADVISORY_PEPPER"]), sent, args.files)
    errors: Counter[str] = Counter()
    for log in sorted(instance.glob("gunicorn-*.log")):
        errors += logged_errors(log)
    return BackendResult(backend, sizes, verdict, errors)


# --- output --------------------------------------------------------------------------------


COLUMNS = (
    ("backend", "<10"),
    ("MB", ">3"),
    ("files", ">5"),
    ("intake MB/s", ">11"),
    ("base MB/s", ">9"),
    ("ratio", ">5"),
    ("cpu ms/MB", ">9"),
    ("base", ">5"),
    ("rss MB", ">6"),
    ("+MB", ">5"),
    ("fail", ">4"),
)
LEGEND = (
    "MB: file size (2^20 bytes, padded); files: timed files, all clients; intake, base MB/s:\n"
    "acknowledged megabytes per second of wall time, all clients together; ratio: intake over\n"
    "base; cpu ms/MB: gunicorn worker CPU per megabyte (intake, base); rss MB: the worker's\n"
    "resident set after the warm-up; +MB: its peak growth over that during the timed files;\n"
    "fail: files (intake or base) the server did not acknowledge"
)


def table(results: Sequence[BackendResult]) -> str:
    head = "  ".join(f"{name:{spec}}" for name, spec in COLUMNS)
    lines = [head, "-" * len(head)]
    for result in results:
        for s in result.sizes:
            i, b = s.intake, s.baseline
            cells = (
                s.backend,
                s.megabytes,
                i.count,
                f"{s.mb_per_s(i):.1f}",
                f"{s.mb_per_s(b):.1f}",
                f"{s.ratio:.2f}",
                f"{s.cpu_ms_per_mb(i, i.server_cpu):.1f}",
                f"{s.cpu_ms_per_mb(b, b.server_cpu):.1f}",
                f"{s.rss_start_mb:.0f}",
                f"{s.rss_growth_mb:.1f}",
                i.count + b.count - len(i.acknowledged) - len(b.acknowledged),
            )
            lines.append(
                "  ".join(f"{cell:{spec}}" for cell, (_, spec) in zip(cells, COLUMNS, strict=True))
            )
    return "\n".join([*lines, LEGEND])


def details(result: BackendResult) -> list[str]:
    v = result.verdict
    lines = [
        f"{result.backend}: {v.acknowledged} uploads acknowledged (warm-ups included): "
        f"{v.intact} stored once and whole, every chunk as sent; lost {v.lost}, corrupted "
        f"{v.corrupted}, stray attachments {v.stray}; opened with the content key and equal "
        f"to the payload {v.opened} of {v.opened + v.open_failed}; baseline files stored "
        f"{v.bare_stored}/{v.bare_acknowledged}",
    ]
    for s in result.sizes:
        ratio = "met" if s.ratio >= TARGET_RATIO else "NOT met"
        memory = "met" if s.rss_growth_mb < TARGET_RSS_GROWTH_MB else "NOT met"
        line = (
            f"  {s.megabytes} MB: intake >= {TARGET_RATIO} x baseline {ratio} ({s.ratio:.2f}); "
            f"worker growth < {TARGET_RSS_GROWTH_MB} MB {memory} ({s.rss_growth_mb:.1f} MB); "
            f"p50 per file intake {s.intake.percentile_ms(0.5) / 1000:.2f} s, "
            f"baseline {s.baseline.percentile_ms(0.5) / 1000:.2f} s"
        )
        if s.intake.database_cpu or s.baseline.database_cpu:
            line += (
                f"; PostgreSQL CPU per MB (all its processes on this host) intake "
                f"{s.cpu_ms_per_mb(s.intake, s.intake.database_cpu):.1f} ms, baseline "
                f"{s.cpu_ms_per_mb(s.baseline, s.baseline.database_cpu):.1f} ms"
            )
        lines.append(line)
        for phase in (s.intake, s.baseline):
            for what, count in phase.failures().most_common(5):
                lines.append(f"  {s.megabytes} MB {phase.name} not acknowledged x{count}: {what}")
    for what, count in result.errors.most_common(5):
        lines.append(f"  server log x{count}: {what}")
    return lines


def broken(result: BackendResult) -> bool:
    unacknowledged = any(
        len(phase.acknowledged) < phase.count
        for s in result.sizes
        for phase in (s.intake, s.baseline)
    )
    return unacknowledged or result.verdict.broken


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--size-mb", type=int, default=20, help="file size (2^20 bytes)")
    parser.add_argument("--small-mb", type=int, default=5, help="the smaller file size")
    parser.add_argument("--files", type=int, default=3, help="files per client and size")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--browser-mb", type=int, default=50, help="bytes sealed in Chromium")
    parser.add_argument("--runs", type=int, default=5, help="timed runs in the browser part")
    args = parser.parse_args(argv)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-attachments-") as tmp:
        print(
            f"sqlite: {args.clients} clients x {args.files} files of {args.small_mb} MB, "
            f"then of {args.size_mb} MB; one gunicorn worker process (threads: gunicorn.conf.py)"
        )
        results = run_on_sqlite_then_postgres(
            args.postgres_url,
            PG_SCHEMA,
            Path(tmp),
            lambda backend, url, folder: run_backend(backend, url, folder, args),
            skip_postgres=args.skip_postgres,
        )
        browser_lines: list[str] = []
        if not args.skip_browser:
            browser_lines = browser_figures(Path(tmp) / "browser", args.browser_mb, args.runs)

    print()
    print(table(results))
    print()
    for result in results:
        print("\n".join(details(result)))
    if browser_lines:
        print()
        print("\n".join(browser_lines))
    print(f"\nwhole run: {time.monotonic() - started:.0f} s")
    return 1 if any(broken(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
