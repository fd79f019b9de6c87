"""`flask --app advisory doctor`: what in a configuration stands between it and a safe
production deployment, one problem per line, each naming the setting to change.

Each check looks at one thing and says what is wrong in words an operator can act on; none
prints a secret or a part of one (a Redis or database URL is named by its variable only).
"""

from __future__ import annotations

import smtplib
import stat
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from advisory.database import MIGRATIONS_DIR
from advisory.instance_files import DIRECTORY_MODE, FILE_MODE
from advisory.mailer import smtp_connection
from advisory.models import AuditEvent, Line
from advisory.services.backup_file import BackupKeyError, public_key
from advisory.services.line_key_rotation import current_holders
from advisory.services.line_keys import active_line_key
from advisory.services.readiness import FRESH_FOR_TICKS, migrations_current, scheduler_fresh
from advisory.settings import SECRETS_FILENAME, Settings

# The app's clock and the database's may disagree by this much before it matters: deadlines
# and audit times are written by the app, but the scheduler lock and PostgreSQL's own
# timestamps are not.
CLOCK_TOLERANCE = timedelta(seconds=60)


@dataclass(frozen=True)
class Problem:
    setting: str  # the variable (or thing) to change
    message: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.message}"


def examine(
    settings: Settings, session: Session, now: datetime, *, tightened_at_start: int = 0
) -> list[Problem]:
    """Every problem found, in the order an operator would fix them. `tightened_at_start`:
    instance files this process's start-up found readable by others, and made private."""
    checks: list[Callable[[], list[Problem]]] = [
        lambda: _cookies_and_address(settings),
        lambda: _proxies(settings),
        lambda: _database_for_workers(settings),
        lambda: _rate_limits_for_workers(settings),
        lambda: _secrets_file(settings, tightened_at_start),
        lambda: _backup_key(settings),
        lambda: _smtp(settings),
    ]
    problems = [problem for check in checks for problem in check()]
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return [*problems, Problem("DATABASE_URL", "the database does not answer")]
    behind = _migrations(session)
    if behind:
        # The other checks read tables the missing migrations make: first things first.
        return [*problems, *behind]
    lines = list(session.scalars(select(Line).order_by(Line.id)))
    database_checks: list[Callable[[], list[Problem]]] = [
        lambda: _scheduler(settings, session, now),
        lambda: _line_keys(session, lines),
        lambda: _clock(session),
        lambda: _zones(lines),
    ]
    return [*problems, *(problem for check in database_checks for problem in check())]


def _cookies_and_address(settings: Settings) -> list[Problem]:
    problems = []
    if not settings.secure_cookies:
        problems.append(
            Problem(
                "ADVISORY_SECURE_COOKIES",
                "is false: browsers send the session cookie over plain http too; set true",
            )
        )
    url = settings.public_url
    if url is None:
        problems.append(
            Problem(
                "ADVISORY_PUBLIC_URL",
                "is not set: give the address reporters use (https://… or an .onion)",
            )
        )
        return problems
    parts = urlsplit(url)
    onion = (parts.hostname or "").endswith(".onion")
    if parts.scheme != "https" and not (parts.scheme == "http" and onion):
        problems.append(
            Problem(
                "ADVISORY_PUBLIC_URL",
                "must be https:// (or an .onion address): without a secure context the "
                "browser cannot seal reports, and they are sealed on the server instead",
            )
        )
    return problems


def _proxies(settings: Settings) -> list[Problem]:
    """An https address means a proxy in front (gunicorn speaks plain http): unless the app
    believes it about the client's address, every reporter counts as that proxy."""
    url = settings.public_url or ""
    if settings.proxies == 0 and urlsplit(url).scheme == "https":
        return [
            Problem(
                "ADVISORY_PROXIES",
                "is 0 behind the https proxy: every reporter shares one rate-limit budget; set "
                "it to the number of proxies in front (1 for the reference Caddy)",
            )
        ]
    return []


def _database_for_workers(settings: Settings) -> list[Problem]:
    if settings.database_url.startswith("sqlite") and settings.several_processes:
        return [
            Problem(
                "DATABASE_URL",
                f"SQLite with {settings.workers} worker(s) on {settings.hosts} host(s): use "
                "PostgreSQL when more than one process or host writes",
            )
        ]
    return []


def _rate_limits_for_workers(settings: Settings) -> list[Problem]:
    if settings.ratelimit_storage.startswith("memory://") and settings.several_processes:
        return [
            Problem(
                "ADVISORY_RATELIMIT_STORAGE",
                "memory:// counts per process: with more than one worker or host, point it at "
                "a Redis they all share",
            )
        ]
    return []


def _secrets_file(settings: Settings, tightened_at_start: int) -> list[Problem]:
    """The secrets file and the instance folder are the server user's alone. Every start
    makes them so (instance_files.tighten), so `doctor` also says when its own start had to:
    something (a copy, a restore, a umask) keeps widening them."""
    problems = []
    if tightened_at_start:
        problems.append(
            Problem(
                "ADVISORY_INSTANCE_PATH",
                f"{tightened_at_start} item(s) in {settings.instance_path} were readable by "
                "others until this start made them private: find what widened them",
            )
        )
    for path, allowed, what in (
        (settings.instance_path, DIRECTORY_MODE, "the instance folder"),
        (settings.instance_path / SECRETS_FILENAME, FILE_MODE, SECRETS_FILENAME),
    ):
        if not path.exists():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & ~allowed:
            problems.append(
                Problem(
                    "ADVISORY_INSTANCE_PATH",
                    f"{what} is mode {mode:o}; others may read it: chmod {allowed:o} {path}",
                )
            )
    return problems


def _backup_key(settings: Settings) -> list[Problem]:
    """Backups can be made: a public key to encrypt them to (its private key is offline)."""
    if settings.backup_public_key is None:
        if settings.development:
            return []
        return [
            Problem(
                "ADVISORY_BACKUP_PUBLIC_KEY",
                "not set, so `backup create` cannot run: make a key pair with `backup keygen` "
                "on another computer and set its public key",
            )
        ]
    try:
        public_key(settings.backup_public_key)
    except BackupKeyError as error:
        return [Problem("ADVISORY_BACKUP_PUBLIC_KEY", str(error))]
    return []


def _smtp(settings: Settings) -> list[Problem]:
    smtp = settings.smtp
    if smtp is None:
        return []
    try:
        # The mail sweep's own connection: STARTTLS and login too, where they usually fail.
        with smtp_connection(smtp):
            pass
    except (OSError, smtplib.SMTPException) as exc:
        return [
            Problem(
                "ADVISORY_SMTP_HOST",
                f"{smtp.host}:{smtp.port} does not take our connection, STARTTLS and login "
                f"as configured ({type(exc).__name__})",
            )
        ]
    return []


def _migrations(session: Session) -> list[Problem]:
    if migrations_current(session, MIGRATIONS_DIR):
        return []
    return [
        Problem(
            "migrations",
            "the database is not at the code's latest migration: run flask --app advisory "
            "db upgrade",
        )
    ]


def _scheduler(settings: Settings, session: Session, now: datetime) -> list[Problem]:
    tick = timedelta(seconds=settings.scheduler_tick_seconds)
    if scheduler_fresh(session, now=now, tick=tick):
        return []
    return [
        Problem(
            "scheduler",
            f"no heartbeat in the last {FRESH_FOR_TICKS} ticks: run flask --app advisory "
            "scheduler beside the app (deadlines, callbacks and e-mail wait until one runs)",
        )
    ]


def _line_keys(session: Session, lines: list[Line]) -> list[Problem]:
    if not lines:
        return [Problem("lines", "there is no line yet: run flask --app advisory init")]
    problems = []
    for line in lines:
        key = active_line_key(session, line.id)
        if key is None:
            problems.append(Problem(f"line {line.slug}", "has no key: reports cannot be sealed"))
        elif not current_holders(session, key):
            problems.append(
                Problem(
                    f"line {line.slug}",
                    f"no lawyer holds its key {key.key_id}: grant it with flask --app advisory "
                    f"keys grant USERNAME --line {line.slug} and the recovery passphrase",
                )
            )
    return problems


def _clock(session: Session) -> list[Problem]:
    """This host's own clock (not a clock the app may be given) against the database's and
    the audit log's."""
    problems = []
    now = datetime.now(UTC)
    if session.get_bind().dialect.name == "postgresql":
        database_now = session.scalar(select(func.now()))
        if database_now is not None and abs(database_now - now) > CLOCK_TOLERANCE:
            problems.append(
                Problem(
                    "clock",
                    f"this host and the database disagree by {abs(database_now - now)}: "
                    "synchronise both with NTP",
                )
            )
    latest = session.scalar(select(func.max(AuditEvent.occurred_at)))
    if latest is not None and latest > now + CLOCK_TOLERANCE:
        problems.append(
            Problem(
                "clock",
                f"the audit log has an event at {latest:%Y-%m-%d %H:%M} UTC, later than this "
                "host's clock: it is behind",
            )
        )
    return problems


def _zones(lines: list[Line]) -> list[Problem]:
    """Every line's time zone known here: read as stored, since a line whose zone this host
    lacks cannot be read as a whole (config_of refuses it)."""
    problems = []
    for line in lines:
        try:
            ZoneInfo(line.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                Problem(f"line {line.slug}", f"time zone {line.timezone} is unknown to this host")
            )
    return problems
