"""Typed, frozen settings: defaults from config/defaults.toml, overrides from the environment.

`load_settings(env)` is pure so a test can call it with a dict. A bad value stops start-up
with a message that names the variable. Secrets have no defaults: they come from the
environment or from `instance/secrets.json`, which `flask init` writes.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

from advisory.closing_days import NORDIC_COUNTRIES
from advisory.hours import Calendar, parse_weekly_hours
from advisory.line_config import parse_pairs
from advisory.redacted import Redacted
from advisory.slots import DutyRoster, parse_roster

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = PROJECT_ROOT / "config" / "defaults.toml"
SECRETS_FILENAME = "secrets.json"
SECRET_NAMES = ("secret_key", "pepper", "data_key")
SUPPORTED_LOCALES = ("nb", "nn", "sv", "da", "en")
ENVIRONMENTS = ("production", "development")
HOLIDAY_COUNTRIES = NORDIC_COUNTRIES
# The line's own number: digits and spaces, "+" first for a country code; E.164 has at most 15
# digits, and a short national number at least 3.
LINE_PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ]*$")
LINE_PHONE_DIGITS = (3, 15)
# Rate-limit counters live only in memory or in Redis, where they expire (DESIGN.md invariant 2).
RATELIMIT_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")
LOG_FORMATS = ("text", "json")

T = TypeVar("T")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True, repr=False)
class Secrets(Redacted):
    """Per-installation secrets, 32 random bytes each, never logged."""

    secret_key: bytes  # signs Flask session cookies
    pepper: bytes  # keys the HMAC of case lookup tokens
    data_key: bytes  # encrypts server-held secrets at rest (staff TOTP seeds)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    starttls: bool
    sender: str
    username: str | None
    password: str | None = field(repr=False)


@dataclass(frozen=True)
class AttachmentLimits:
    """How many evidence files a report or message takes, and how large (true sizes)."""

    max_files: int = 5
    max_file_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 25 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    calendar: Calendar
    p1_target_opening_hours: int
    slot_minutes: int
    roster: DutyRoster
    callback_max_attempts: int
    reminder_minutes: int
    missed_grace_minutes: int
    scheduler_tick_seconds: int
    at_risk_opening_hours: int
    embedded_scheduler: bool
    smtp: SmtpSettings | None
    retention_days: int
    default_locale: str
    line_phone: str | None  # as reporters read it, e.g. "+47 22 00 00 00"; None: web only
    # "development" only for `make run` and tests: demo commands exist, demo data may be made.
    environment: str
    secure_cookies: bool
    public_url: str | None  # the address reporters use; None: not said (`doctor` asks for it)
    workers: int  # gunicorn worker processes per host
    hosts: int  # app hosts sharing the database
    proxies: int  # reverse proxies in front, whose X-Forwarded-For is believed
    ratelimit_storage: str = field(repr=False)  # a Redis URL may carry a password
    report_limit: str  # e.g. "5 per hour; 20 per day", per client and day
    lookup_limit: str  # shared by every post that looks a case up by its code
    callback_limit: str  # callback places one client may book; past it, the inbox answers
    secrets: Secrets | None  # None until `flask init` has run
    # The age public key (age1…) backups are encrypted to; its private key is kept offline.
    backup_public_key: str | None = None
    attachments: AttachmentLimits = field(default_factory=AttachmentLimits)
    log_format: str = "text"  # "json": one JSON object a line (logging_config.py)

    @property
    def initialised(self) -> bool:
        return self.secrets is not None

    @property
    def several_processes(self) -> bool:
        """More than one process serves: several workers, or several hosts."""
        return self.workers > 1 or self.hosts > 1

    @property
    def development(self) -> bool:
        return self.environment == "development"


def load_settings(env: Mapping[str, str], defaults_file: Path = DEFAULTS_FILE) -> Settings:
    defaults = tomllib.loads(defaults_file.read_text(encoding="utf-8"))
    cal, triage = defaults["calendar"], defaults["triage"]
    callbacks, retention, web = defaults["callbacks"], defaults["retention"], defaults["web"]
    scheduler, ratelimit = defaults["scheduler"], defaults["ratelimit"]

    instance_path = Path(env.get("ADVISORY_INSTANCE_PATH") or PROJECT_ROOT / "instance")
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'advisory.db'}"

    return Settings(
        instance_path=instance_path,
        database_url=database_url,
        calendar=_calendar(env, cal),
        p1_target_opening_hours=_int(env, "ADVISORY_P1_TARGET_HOURS", triage, minimum=1),
        slot_minutes=_int(env, "ADVISORY_SLOT_MINUTES", callbacks, minimum=5),
        roster=_roster(env, callbacks),
        callback_max_attempts=_int(env, "ADVISORY_CALLBACK_MAX_ATTEMPTS", callbacks, minimum=1),
        reminder_minutes=_int(env, "ADVISORY_REMINDER_MINUTES", callbacks, minimum=0),
        missed_grace_minutes=_int(env, "ADVISORY_MISSED_GRACE_MINUTES", callbacks, minimum=0),
        scheduler_tick_seconds=_int(env, "ADVISORY_SCHEDULER_TICK_SECONDS", scheduler, minimum=5),
        at_risk_opening_hours=_int(env, "ADVISORY_AT_RISK_HOURS", scheduler, minimum=1),
        embedded_scheduler=_bool(env, "ADVISORY_EMBEDDED_SCHEDULER", scheduler),
        smtp=_smtp(env, defaults["mail"]),
        retention_days=_int(env, "ADVISORY_RETENTION_DAYS", retention, minimum=1),
        default_locale=_choice(env, "ADVISORY_DEFAULT_LOCALE", web, SUPPORTED_LOCALES),
        line_phone=_line_phone(env, web),
        environment=_choice(env, "ADVISORY_ENV", web, ENVIRONMENTS),
        secure_cookies=_bool(env, "ADVISORY_SECURE_COOKIES", web),
        public_url=(env.get("ADVISORY_PUBLIC_URL") or str(web["public_url"])).strip() or None,
        workers=_int(env, "ADVISORY_WORKERS", web, minimum=1),
        hosts=_int(env, "ADVISORY_HOSTS", web, minimum=1),
        proxies=_int(env, "ADVISORY_PROXIES", web, minimum=0),
        ratelimit_storage=_ratelimit_storage(env, ratelimit),
        report_limit=_limit(env, "ADVISORY_REPORT_LIMIT", ratelimit),
        lookup_limit=_limit(env, "ADVISORY_LOOKUP_LIMIT", ratelimit),
        callback_limit=_limit(env, "ADVISORY_CALLBACK_LIMIT", ratelimit),
        secrets=load_secrets(env, instance_path),
        backup_public_key=env.get("ADVISORY_BACKUP_PUBLIC_KEY", "").strip() or None,
        attachments=_attachment_limits(env, defaults["attachments"]),
        log_format=_choice(env, "ADVISORY_LOG_FORMAT", defaults["logging"], LOG_FORMATS),
    )


def log_format_from(env: Mapping[str, str], defaults_file: Path = DEFAULTS_FILE) -> str:
    """ADVISORY_LOG_FORMAT alone, for gunicorn's logger, which is set up before the app."""
    defaults = tomllib.loads(defaults_file.read_text(encoding="utf-8"))
    return _choice(env, "ADVISORY_LOG_FORMAT", defaults["logging"], LOG_FORMATS)


def _attachment_limits(env: Mapping[str, str], section: Mapping[str, Any]) -> AttachmentLimits:
    megabyte = 1024 * 1024
    limits = AttachmentLimits(
        max_files=_int(env, "ADVISORY_ATTACHMENT_MAX_FILES", section, minimum=0),
        max_file_bytes=_int(env, "ADVISORY_ATTACHMENT_MAX_MB", section, minimum=1) * megabyte,
        max_total_bytes=_int(env, "ADVISORY_ATTACHMENT_TOTAL_MB", section, minimum=1) * megabyte,
    )
    if limits.max_total_bytes < limits.max_file_bytes:
        raise SettingsError(
            "ADVISORY_ATTACHMENT_TOTAL_MB: must be at least ADVISORY_ATTACHMENT_MAX_MB"
        )
    return limits


def load_secrets(env: Mapping[str, str], instance_path: Path) -> Secrets | None:
    """Secrets from ADVISORY_SECRET_KEY/_PEPPER/_DATA_KEY (hex), else instance/secrets.json."""
    names = {name: f"ADVISORY_{name.upper()}" for name in SECRET_NAMES}
    given = {name: env[var] for name, var in names.items() if env.get(var)}
    if given:
        missing = [names[name] for name in SECRET_NAMES if name not in given]
        if missing:
            raise SettingsError(f"{', '.join(missing)} must be set together with the others")
        return Secrets(**{name: _secret_bytes(names[name], value) for name, value in given.items()})

    path = instance_path / SECRETS_FILENAME
    if not path.exists():
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        return Secrets(**{name: _secret_bytes(str(path), stored[name]) for name in SECRET_NAMES})
    except (KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SettingsError(f"{path} is damaged ({exc.__class__.__name__}); restore it") from exc


def _secret_bytes(source: str, value: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise SettingsError(f"{source}: secrets are hex strings") from None
    if len(raw) < 32:
        raise SettingsError(f"{source}: a secret needs at least 32 bytes (64 hex characters)")
    return raw


def _calendar(env: Mapping[str, str], cal: Mapping[str, Any]) -> Calendar:
    timezone = env.get("ADVISORY_TIMEZONE") or cal["timezone"]
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"ADVISORY_TIMEZONE: unknown time zone {timezone!r}") from None

    country = env.get("ADVISORY_HOLIDAY_COUNTRY", cal["holiday_country"]).upper()
    if country and country not in HOLIDAY_COUNTRIES:
        raise SettingsError(
            f"ADVISORY_HOLIDAY_COUNTRY: expected one of {', '.join(HOLIDAY_COUNTRIES)} or empty"
        )

    weekly = dict(cal["weekly_hours"])
    if env.get("ADVISORY_WEEKLY_HOURS"):
        weekly.update(_pairs("ADVISORY_WEEKLY_HOURS", env["ADVISORY_WEEKLY_HOURS"]))

    closed_days = _list(env, "ADVISORY_CLOSED_DAYS", cal["closed_days"])
    closed_dates = _list(env, "ADVISORY_CLOSED_DATES", cal["closed_dates"])
    try:
        return Calendar(
            timezone=timezone,
            weekly_hours=parse_weekly_hours(weekly),
            holiday_country=country or None,
            closed_days=tuple(_month_day("ADVISORY_CLOSED_DAYS", d) for d in closed_days),
            closed_dates=tuple(
                _parsed("ADVISORY_CLOSED_DATES", date.fromisoformat, d) for d in closed_dates
            ),
        )
    except SettingsError:
        raise
    except ValueError as exc:
        raise SettingsError(f"ADVISORY_WEEKLY_HOURS: {exc}") from exc


def _roster(env: Mapping[str, str], callbacks: Mapping[str, Any]) -> DutyRoster:
    capacity = _int(env, "ADVISORY_SLOT_CAPACITY", callbacks, minimum=1)
    spec = dict(callbacks.get("roster", {}))
    if env.get("ADVISORY_DUTY_ROSTER"):
        spec.update(_pairs("ADVISORY_DUTY_ROSTER", env["ADVISORY_DUTY_ROSTER"]))
    try:
        return parse_roster(spec, capacity)
    except ValueError as exc:
        raise SettingsError(f"ADVISORY_DUTY_ROSTER: {exc}") from exc


def _smtp(env: Mapping[str, str], mail: Mapping[str, Any]) -> SmtpSettings | None:
    host = env.get("ADVISORY_SMTP_HOST", "").strip()
    if not host:
        return None
    return SmtpSettings(
        host=host,
        port=_int(env, "ADVISORY_SMTP_PORT", mail, minimum=1),
        starttls=_bool(env, "ADVISORY_SMTP_STARTTLS", mail),
        sender=env.get("ADVISORY_SMTP_SENDER") or str(mail["sender"]),
        username=env.get("ADVISORY_SMTP_USERNAME") or None,
        password=env.get("ADVISORY_SMTP_PASSWORD") or None,
    )


def _ratelimit_storage(env: Mapping[str, str], section: Mapping[str, Any]) -> str:
    var = "ADVISORY_RATELIMIT_STORAGE"
    uri = (env.get(var) or str(section[_DEFAULT_KEYS[var]])).strip()
    scheme, sep, _ = uri.partition("://")
    if not sep or scheme.lower() not in RATELIMIT_SCHEMES:
        # Name the scheme only: the rest of a Redis URL may hold a password.
        given = repr(scheme) if sep else "no scheme"
        raise SettingsError(
            f"{var}: expected memory:// or a redis:// URL, got {given}"
            " (rate-limit keys may live only in memory or in Redis, where they expire)"
        )
    return uri


def _line_phone(env: Mapping[str, str], web: Mapping[str, Any]) -> str | None:
    var = "ADVISORY_LINE_PHONE"
    raw = env.get(var)
    number = " ".join((str(web[_DEFAULT_KEYS[var]]) if raw is None else raw).split())
    if not number:
        return None
    digits = sum(character.isdigit() for character in number)
    low, high = LINE_PHONE_DIGITS
    if not LINE_PHONE_PATTERN.match(number) or not low <= digits <= high:
        raise SettingsError(
            f"{var}: expected {low} to {high} digits, spaces and a leading + for the country"
            f" code (or empty for a web-only line), got {number!r}"
        )
    return number


def _limit(env: Mapping[str, str], var: str, section: Mapping[str, Any]) -> str:
    text = (env.get(var) or str(section[_DEFAULT_KEYS[var]])).strip()
    try:
        items = parse_many(text)
    except ValueError:
        raise SettingsError(
            f"{var}: expected limits such as '5 per hour; 20 per day', got {text!r}"
        ) from None
    if any(item.amount < 1 for item in items):
        raise SettingsError(f"{var}: every limit must allow at least 1, got {text!r}")
    return text


def _pairs(var: str, text: str) -> dict[str, str]:
    """`mon=09:00-11:30,12:00-16:00; sat=closed`: days apart by ';', a day's intervals by ','."""
    try:
        return parse_pairs(text)
    except ValueError as exc:
        raise SettingsError(f"{var}: {exc}") from None


def _list(env: Mapping[str, str], var: str, default: list[str]) -> list[str]:
    if var not in env:
        return list(default)
    return [part.strip() for part in env[var].split(",") if part.strip()]


def _month_day(var: str, text: str) -> tuple[int, int]:
    parsed = _parsed(var, lambda t: date.fromisoformat(f"2000-{t}"), text)
    return parsed.month, parsed.day


def _parsed(var: str, parse: Callable[[str], T], text: str) -> T:
    try:
        return parse(text)
    except ValueError:
        raise SettingsError(f"{var}: cannot read {text!r}") from None


def _int(env: Mapping[str, str], var: str, section: Mapping[str, Any], *, minimum: int) -> int:
    key = _DEFAULT_KEYS[var]
    raw = env.get(var)
    value = section[key] if raw is None else _parsed(var, int, raw)
    if value < minimum:
        raise SettingsError(f"{var}: must be at least {minimum}, got {value}")
    return int(value)


def _bool(env: Mapping[str, str], var: str, section: Mapping[str, Any]) -> bool:
    raw = env.get(var)
    if raw is None:
        return bool(section[_DEFAULT_KEYS[var]])
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{var}: expected true or false, got {raw!r}")


def _choice(
    env: Mapping[str, str], var: str, section: Mapping[str, Any], choices: tuple[str, ...]
) -> str:
    value = env.get(var) or section[_DEFAULT_KEYS[var]]
    if value not in choices:
        raise SettingsError(f"{var}: expected one of {', '.join(choices)}, got {value!r}")
    return str(value)


# Environment variable → key in its defaults.toml section.
_DEFAULT_KEYS = {
    "ADVISORY_P1_TARGET_HOURS": "p1_target_opening_hours",
    "ADVISORY_SLOT_MINUTES": "slot_minutes",
    "ADVISORY_SLOT_CAPACITY": "slot_capacity",
    "ADVISORY_REMINDER_MINUTES": "reminder_minutes",
    "ADVISORY_MISSED_GRACE_MINUTES": "missed_grace_minutes",
    "ADVISORY_SCHEDULER_TICK_SECONDS": "tick_seconds",
    "ADVISORY_AT_RISK_HOURS": "at_risk_opening_hours",
    "ADVISORY_EMBEDDED_SCHEDULER": "embedded",
    "ADVISORY_SMTP_PORT": "port",
    "ADVISORY_SMTP_STARTTLS": "starttls",
    "ADVISORY_CALLBACK_MAX_ATTEMPTS": "max_attempts",
    "ADVISORY_RETENTION_DAYS": "closed_case_days",
    "ADVISORY_DEFAULT_LOCALE": "default_locale",
    "ADVISORY_LINE_PHONE": "line_phone",
    "ADVISORY_ENV": "environment",
    "ADVISORY_SECURE_COOKIES": "secure_cookies",
    "ADVISORY_WORKERS": "workers",
    "ADVISORY_HOSTS": "hosts",
    "ADVISORY_PROXIES": "proxies",
    "ADVISORY_RATELIMIT_STORAGE": "storage",
    "ADVISORY_REPORT_LIMIT": "report",
    "ADVISORY_LOOKUP_LIMIT": "lookup",
    "ADVISORY_CALLBACK_LIMIT": "callback",
    "ADVISORY_ATTACHMENT_MAX_FILES": "max_files",
    "ADVISORY_ATTACHMENT_MAX_MB": "max_file_mb",
    "ADVISORY_ATTACHMENT_TOTAL_MB": "max_total_mb",
    "ADVISORY_LOG_FORMAT": "format",
}
