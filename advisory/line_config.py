"""A line's own configuration: its calendar, deadlines, callbacks, languages and numbers (pure).

A line keeps its settings as text on its row, in the forms an admin types in the web or on the
command line ("mon=09:00-16:00; fri=09:00-14:00", "112=police; 113=ambulance"). `read_config`
checks them all at once and names the field of each problem, so a bad value is refused before
it is stored, never found later by a deadline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from types import MappingProxyType
from typing import Any, TypeVar

from pytz import common_timezones_set

from advisory.closing_days import NORDIC_COUNTRIES, supported_country
from advisory.hours import WEEKDAYS, Calendar, Hours, parse_weekly_hours
from advisory.slots import DutyRoster, parse_roster

T = TypeVar("T")

# The languages a page can be shown in; each line offers some of them.
PAGE_LANGUAGES = ("nb", "nn", "sv", "da", "en")
# What an emergency number is for; pages name each in the reader's language.
EMERGENCY_SERVICES = ("emergency", "police", "ambulance", "fire", "medical_advice", "police_tips")
# A phone number as people read it: digits and spaces, "+" first for a country code; E.164 has
# at most 15 digits, and a short national number (or an emergency number) at least 3.
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ]*$")
PHONE_DIGITS = (3, 15)
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")

FIELDS = (
    "name",
    "description",
    "timezone",
    "weekly_hours",
    "holiday_country",
    "closed_days",
    "closed_dates",
    "deadline_hours",
    "p1_target_hours",
    "slot_minutes",
    "slot_capacity",
    "duty_roster",
    "languages",
    "default_language",
    "emergency_numbers",
    "retention_days",
    "smtp_sender",
    "phone",
)
# The fields that decide deadlines: a change to them is previewed before it is saved.
CALENDAR_FIELDS = frozenset(
    {"timezone", "weekly_hours", "holiday_country", "closed_days", "closed_dates", "deadline_hours"}
)
_LIMITS = {  # whole-number fields: smallest and largest sensible value
    "deadline_hours": (1, 24 * 5),
    "p1_target_hours": (1, 24 * 5),
    "slot_minutes": (5, 240),
    "slot_capacity": (0, 50),
    "retention_days": (1, 3660),
}
# The longest text each field may hold, as its column stores it (advisory/models.py, Line); a
# whole-number field's text is at most as long as its largest value.
MAX_LENGTHS: Mapping[str, int] = MappingProxyType(
    {
        "name": 120,
        "description": 500,
        "timezone": 64,
        "weekly_hours": 400,
        "holiday_country": 2,
        "closed_days": 400,
        "closed_dates": 4000,
        "duty_roster": 400,
        "languages": 40,
        "default_language": 5,
        "emergency_numbers": 400,
        "smtp_sender": 200,
        "phone": 40,
    }
)
# One plain address: nothing a mail header would read as a second one, a name or a comment.
_EMAIL = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+$")
# ISO dates only in these forms: date.fromisoformat takes week dates ("2026-W52") as well.
_MONTH_DAY = re.compile(r"[0-9]{2}-[0-9]{2}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class CountryDefaults:
    timezone: str
    languages: str
    default_language: str
    emergency_numbers: str


# What a new line in each country starts with. Sweden and Denmark have one emergency number for
# every service, beside a medical advice line and a police line for what is not urgent.
COUNTRY_DEFAULTS: Mapping[str, CountryDefaults] = MappingProxyType(
    {
        "NO": CountryDefaults(
            timezone="Europe/Oslo",
            languages="nb, nn, en",
            default_language="nb",
            emergency_numbers="112=police; 113=ambulance; 110=fire",
        ),
        "SE": CountryDefaults(
            timezone="Europe/Stockholm",
            languages="sv, en",
            default_language="sv",
            emergency_numbers="112=emergency; 1177=medical_advice; 114 14=police_tips",
        ),
        "DK": CountryDefaults(
            timezone="Europe/Copenhagen",
            languages="da, en",
            default_language="da",
            emergency_numbers="112=emergency; 1813=medical_advice; 114=police_tips",
        ),
        "FI": CountryDefaults(
            timezone="Europe/Helsinki",
            languages="sv, en",
            default_language="en",
            emergency_numbers="112=emergency; 116 117=medical_advice",
        ),
        "IS": CountryDefaults(
            timezone="Atlantic/Reykjavik",
            languages="en",
            default_language="en",
            emergency_numbers="112=emergency; 1700=medical_advice",
        ),
    }
)


# A Norwegian line with the hours of the design: what a line row holds until it is told otherwise
# (`flask init` and `lines add` start from the deployment's configuration instead).
NORWEGIAN_LINE: Mapping[str, str] = MappingProxyType(
    {
        "description": "",
        "timezone": COUNTRY_DEFAULTS["NO"].timezone,
        "weekly_hours": "mon=09:00-16:00; tue=09:00-16:00; wed=09:00-16:00; thu=09:00-16:00; "
        "fri=09:00-16:00",
        "holiday_country": "NO",
        "closed_days": "",
        "closed_dates": "",
        "deadline_hours": "",
        "p1_target_hours": "2",
        "slot_minutes": "30",
        "slot_capacity": "2",
        "duty_roster": "",
        "languages": COUNTRY_DEFAULTS["NO"].languages,
        "default_language": COUNTRY_DEFAULTS["NO"].default_language,
        "emergency_numbers": COUNTRY_DEFAULTS["NO"].emergency_numbers,
        "retention_days": "60",
        "smtp_sender": "",
        "phone": "",
    }
)


class LineConfigError(ValueError):
    """One or more settings of a line cannot be used; `problems` maps each field to why."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{field}: {why}" for field, why in self.problems.items()))


@dataclass(frozen=True)
class EmergencyNumber:
    number: str
    service: str  # one of EMERGENCY_SERVICES


@dataclass(frozen=True)
class LineConfig:
    name: str
    description: str
    calendar: Calendar
    p1_target_hours: int
    slot_minutes: int
    roster: DutyRoster
    languages: tuple[str, ...]
    default_language: str
    emergency_numbers: tuple[EmergencyNumber, ...]
    retention_days: int
    smtp_sender: str | None  # None: the deployment's sender
    phone: str | None  # None: a web-only line

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)


def read_config(texts: Mapping[str, str]) -> LineConfig:
    """Every field of `FIELDS` from its text; raises LineConfigError listing each bad field."""
    problems: dict[str, str] = {}

    # `default` stands in for a bad value so that every field is checked and named at once.
    def read(name: str, parse: Callable[[str], T], default: Any) -> T:
        text = texts.get(name, "").strip()
        longest = MAX_LENGTHS.get(name)
        if longest is not None and len(text) > longest:
            problems[name] = f"at most {longest} characters"
            return default
        if not text.isprintable():
            problems[name] = "holds a character that cannot be shown"
            return default
        try:
            return parse(text)
        except ValueError as exc:
            problems[name] = str(exc)
            return default

    name = read("name", _required, "")
    description = read("description", str, "")
    timezone = read("timezone", _timezone, "UTC")
    weekly = read("weekly_hours", _weekly_hours, {0: ()})
    country = read("holiday_country", _country, None)
    closed_days = read("closed_days", _closed_days, ())
    closed_dates = read("closed_dates", _closed_dates, ())
    deadline_hours = read("deadline_hours", _optional_number("deadline_hours"), None)
    languages = read("languages", _languages, ("en",))
    default_language = read("default_language", _language, "en")
    if "languages" not in problems and default_language not in languages:
        problems["default_language"] = "must be one of the languages the line offers"
    capacity = read("slot_capacity", _number("slot_capacity"), 0)
    p1_target_hours = read("p1_target_hours", _number("p1_target_hours"), 0)
    slot_minutes = read("slot_minutes", _number("slot_minutes"), 0)
    emergency_numbers = read("emergency_numbers", _emergency_numbers, ())
    retention_days = read("retention_days", _number("retention_days"), 0)
    smtp_sender = read("smtp_sender", _sender, None)
    phone = read("phone", _phone, None)
    roster = read("duty_roster", lambda text: _roster(text, capacity), None)
    calendar = None
    if not problems.keys() & CALENDAR_FIELDS:
        try:
            calendar = Calendar(
                timezone=timezone,
                weekly_hours=weekly,
                holiday_country=country,
                closed_days=closed_days,
                closed_dates=closed_dates,
                working_day=None if deadline_hours is None else timedelta(hours=deadline_hours),
            )
        except ValueError as exc:
            problems["weekly_hours"] = str(exc)
    if problems or calendar is None or roster is None:
        raise LineConfigError(problems)
    return LineConfig(
        name=name,
        description=description,
        calendar=calendar,
        roster=roster,
        languages=languages,
        default_language=default_language,
        p1_target_hours=p1_target_hours,
        slot_minutes=slot_minutes,
        emergency_numbers=emergency_numbers,
        retention_days=retention_days,
        smtp_sender=smtp_sender,
        phone=phone,
    )


def canonical_text(name: str, text: str) -> str:
    """A setting's text as it is stored: trimmed, a country code in capitals (read either way,
    so that `se` and `SE` are the same setting, not a change)."""
    text = text.strip()
    return text.upper() if name == "holiday_country" else text


def check_slug(slug: str) -> str:
    """A line's address part (`/l/<slug>/`): lower-case letters, digits and inner hyphens."""
    if not SLUG_PATTERN.fullmatch(slug):
        raise LineConfigError(
            {"slug": "use 1 to 40 lower-case letters a-z, digits and hyphens inside"}
        )
    return slug


def parse_pairs(text: str) -> dict[str, str]:
    """`mon=09:00-11:30,12:00-16:00; sat=closed`: items apart by ';', each `key=value`."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"expected key=value items apart by ';', got {item!r}")
        key = key.strip().lower()
        if key in pairs:
            raise ValueError(f"{key!r} is given twice")
        pairs[key] = value.strip()
    return pairs


# --- text forms of settings held elsewhere (a deployment's environment, at import) -------------


def weekly_hours_text(weekly: Mapping[int, Hours]) -> str:
    return "; ".join(
        f"{WEEKDAYS[day]}=" + ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in hours)
        for day, hours in sorted(weekly.items())
        if hours
    )


def roster_text(roster: DutyRoster) -> str:
    return "; ".join(
        f"{WEEKDAYS[day]}="
        + ",".join(f"{start:%H:%M}-{_end_text(end)}*{capacity}" for start, end, capacity in rules)
        for day, rules in sorted(roster.rules.items())
        if rules
    )


def closed_days_text(closed_days: tuple[tuple[int, int], ...]) -> str:
    return ", ".join(f"{month:02d}-{day:02d}" for month, day in closed_days)


def closed_dates_text(closed_dates: tuple[date, ...]) -> str:
    return ", ".join(day.isoformat() for day in closed_dates)


def _end_text(end: time) -> str:
    return "24:00" if end == time.max else f"{end:%H:%M}"  # parse_roster reads 24:00 as time.max


# --- readers, one per kind of field --------------------------------------------------------------


def _required(text: str) -> str:
    if not text:
        raise ValueError("must not be empty")
    return text


def _number(field: str) -> Callable[[str], int]:
    low, high = _LIMITS[field]

    def parse(text: str) -> int:
        # Longer than the largest value is too large, however many digits: int() never sees it.
        if not text.isdigit() or not text.isascii() or len(text) > len(str(high)):
            raise ValueError(f"a whole number from {low} to {high}")
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value

    return parse


def _optional_number(field: str) -> Callable[[str], int | None]:
    number = _number(field)
    return lambda text: number(text) if text else None


def _roster(text: str, capacity: int) -> DutyRoster:
    roster = parse_roster(parse_pairs(text), capacity)
    low, high = _LIMITS["slot_capacity"]
    for rules in roster.rules.values():
        if any(not low <= parallel <= high for _start, _end, parallel in rules):
            raise ValueError(f"callbacks at once (after *) from {low} to {high}")
    return roster


def _timezone(text: str) -> str:
    # The zones pages can write times in too (Babel's): not `localtime`, `posix/…` or `right/…`.
    if text not in common_timezones_set:
        raise ValueError(f"unknown time zone {text!r}; use a name such as Europe/Oslo")
    return text


def _weekly_hours(text: str) -> dict[int, Hours]:
    return parse_weekly_hours(parse_pairs(text))


def _country(text: str) -> str | None:
    country = text.upper()
    if not country:
        return None
    if not supported_country(country):
        raise ValueError(f"unknown country {text!r}; use {', '.join(NORDIC_COUNTRIES)} or empty")
    return country


def _closed_days(text: str) -> tuple[tuple[int, int], ...]:
    days = []
    for part in _items(text):
        try:
            if not _MONTH_DAY.fullmatch(part):
                raise ValueError(part)
            parsed = date.fromisoformat(f"2000-{part}")  # a leap year: 02-29 is a day
        except ValueError:
            raise ValueError(f"{part!r} is not MM-DD") from None
        days.append((parsed.month, parsed.day))
    return tuple(days)


def _closed_dates(text: str) -> tuple[date, ...]:
    dates = []
    for part in _items(text):
        try:
            if not _DATE.fullmatch(part):
                raise ValueError(part)
            dates.append(date.fromisoformat(part))
        except ValueError:
            raise ValueError(f"{part!r} is not YYYY-MM-DD") from None
    return tuple(sorted(set(dates)))


def _language(text: str) -> str:
    if text not in PAGE_LANGUAGES:
        raise ValueError(f"{text!r} is not one of {', '.join(PAGE_LANGUAGES)}")
    return text


def _languages(text: str) -> tuple[str, ...]:
    languages = tuple(dict.fromkeys(_language(part) for part in _items(text)))
    if not languages:
        raise ValueError(f"at least one of {', '.join(PAGE_LANGUAGES)}")
    return languages


def _emergency_numbers(text: str) -> tuple[EmergencyNumber, ...]:
    numbers = []
    for number, service in parse_pairs(text).items():
        if service not in EMERGENCY_SERVICES:
            raise ValueError(f"{service!r} is not one of {', '.join(EMERGENCY_SERVICES)}")
        numbers.append(EmergencyNumber(_phone(number) or "", service))
    if any(not entry.number for entry in numbers):
        raise ValueError("every service needs a number")
    return tuple(numbers)


def _sender(text: str) -> str | None:
    if not text:
        return None
    if not _EMAIL.fullmatch(text):
        raise ValueError(f"{text!r} is not an e-mail address")
    return text


def _phone(text: str) -> str | None:
    number = " ".join(text.split())
    if not number:
        return None
    digits = sum(character.isdigit() for character in number)
    low, high = PHONE_DIGITS
    if not PHONE_PATTERN.match(number) or not low <= digits <= high:
        raise ValueError(f"{low} to {high} digits, spaces and a leading + for the country code")
    return number


def _items(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
