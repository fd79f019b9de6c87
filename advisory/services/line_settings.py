"""A line's settings: read as a `LineConfig`, set for a new line, changed with an audit entry.

Deadlines already given stay as they were: a case keeps the deadline it was promised when it
arrived (its own columns), and a changed calendar only decides the deadlines of cases to come.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from advisory import audit
from advisory.hours import Calendar
from advisory.line_config import (
    COUNTRY_DEFAULTS,
    FIELDS,
    NORWEGIAN_LINE,
    LineConfig,
    LineConfigError,
    canonical_text,
    check_slug,
    closed_dates_text,
    closed_days_text,
    read_config,
    roster_text,
    weekly_hours_text,
)
from advisory.models import Line
from advisory.settings import Settings

# Columns that hold a whole number; the rest hold text.
NUMBER_FIELDS = frozenset(
    {"deadline_hours", "p1_target_hours", "slot_minutes", "slot_capacity", "retention_days"}
)
PREVIEW_DAYS = 14


def texts_of(line: Line) -> dict[str, str]:
    """The line's settings in the forms an admin types them."""
    texts = {}
    for name in FIELDS:
        value = getattr(line, name)
        texts[name] = "" if value is None else str(value)
    return texts


def config_of(line: Line) -> LineConfig:
    return _read(tuple(texts_of(line).items()))


@functools.lru_cache(maxsize=128)
def _read(texts: tuple[tuple[str, str], ...]) -> LineConfig:
    # Settings change seldom and are read on every page: build each version once.
    return read_config(dict(texts))


def line_config(session: Session, line_id: int) -> LineConfig:
    line = session.get(Line, line_id)
    if line is None:
        raise LookupError(f"no line {line_id}")
    return config_of(line)


def default_line(session: Session) -> Line | None:
    """The deployment's first line: the one `flask init` made, served at the bare addresses."""
    return session.scalars(select(Line).order_by(Line.id).limit(1)).first()


def line_by_slug(session: Session, slug: str) -> Line | None:
    return session.scalars(select(Line).where(Line.slug == slug)).first()


def all_lines(session: Session) -> list[Line]:
    return list(session.scalars(select(Line).order_by(Line.id)))


def texts_from_settings(settings: Settings, country: str | None = None) -> dict[str, str]:
    """Settings for a line from the deployment's configuration: what a single-line deployment
    kept in its environment, and what a new line of `country` starts from."""
    calendar = settings.calendar
    own_country = calendar.holiday_country or ""
    if country is None:
        country = own_country
    country_defaults = COUNTRY_DEFAULTS.get(country, COUNTRY_DEFAULTS["NO"])
    languages = country_defaults.languages
    default_language = country_defaults.default_language
    timezone = country_defaults.timezone
    if country == own_country:  # the deployment's own country: its configured zone and language
        timezone = calendar.timezone
        offered = [code.strip() for code in languages.split(",")]
        if settings.default_locale not in offered:
            languages = ", ".join([settings.default_locale, *offered])
        default_language = settings.default_locale
    return {
        "description": "",
        "timezone": timezone,
        "weekly_hours": weekly_hours_text(calendar.weekly_hours),
        "holiday_country": country,
        "closed_days": closed_days_text(calendar.closed_days),
        "closed_dates": closed_dates_text(calendar.closed_dates),
        "deadline_hours": "",
        "p1_target_hours": str(settings.p1_target_opening_hours),
        "slot_minutes": str(settings.slot_minutes),
        "slot_capacity": str(settings.roster.default_capacity),
        "duty_roster": roster_text(settings.roster),
        "languages": languages,
        "default_language": default_language,
        "emergency_numbers": country_defaults.emergency_numbers,
        "retention_days": str(settings.retention_days),
        "smtp_sender": "",
        "phone": settings.line_phone or "",
    }


def add_line(
    session: Session,
    *,
    slug: str,
    texts: Mapping[str, str],
    now: datetime,
    actor_staff_id: int | None = None,
) -> Line:
    """A new line with checked settings; raises LineConfigError naming each bad field."""
    check_slug(slug)
    if line_by_slug(session, slug) is not None:
        raise LineConfigError({"slug": f"a line {slug!r} exists already"})
    check_opens(read_config(texts), now)
    line = Line(slug=slug, created_at=now)
    store_settings(line, texts)
    session.add(line)
    session.flush()
    audit.record(
        session,
        action="line.added",
        now=now,
        actor_staff_id=actor_staff_id,
        detail={"line": slug, **{name: texts.get(name, "") for name in FIELDS}},
    )
    return line


def check_opens(config: LineConfig, now: datetime) -> LineConfig:
    """`config` if its line opens in the coming years, so every report gets a deadline."""
    try:
        config.calendar.callback_due(now)
    except (ValueError, OverflowError):
        raise LineConfigError(
            {"weekly_hours": "the line would not open within three years: no deadline can be given"}
        ) from None
    return config


def change_line(
    session: Session,
    line: Line,
    changes: Mapping[str, str],
    *,
    now: datetime,
    actor_staff_id: int | None = None,
) -> dict[str, tuple[str, str]]:
    """Change some settings (all checked together); returns each changed field's before and
    after, which the audit log also records. Raises LineConfigError naming each bad field."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise LineConfigError({name: "no such setting" for name in unknown})
    before = texts_of(line)
    after = {**before, **{name: canonical_text(name, value) for name, value in changes.items()}}
    check_opens(read_config(after), now)
    changed = {name: (before[name], after[name]) for name in FIELDS if before[name] != after[name]}
    if not changed:
        return changed
    store_settings(line, after)
    session.flush()
    audit.record(
        session,
        action="line.changed",
        now=now,
        actor_staff_id=actor_staff_id,
        detail={
            "line": line.slug,
            **{f"{name}.before": old for name, (old, _) in changed.items()},
            **{f"{name}.after": new for name, (_, new) in changed.items()},
        },
    )
    return changed


@dataclass(frozen=True)
class PreviewDay:
    day: date
    intervals: tuple[tuple[datetime, datetime], ...]  # empty: closed
    holiday: str | None


def preview(config: LineConfig, first_day: date, language: str | None = None) -> list[PreviewDay]:
    """The next `PREVIEW_DAYS` days under `config`: opening hours, or why the line is closed."""
    calendar = config.calendar
    days = []
    for offset in range(PREVIEW_DAYS):
        day = first_day + timedelta(days=offset)
        days.append(
            PreviewDay(
                day=day,
                intervals=tuple(calendar.open_intervals(day)),
                holiday=calendar.holiday_name(day, language),
            )
        )
    return days


def store_settings(line: Line, texts: Mapping[str, str]) -> None:
    """Write the settings named in `texts` (checked before: `read_config`) onto the row."""
    for name in FIELDS:
        if name not in texts:
            continue
        text = canonical_text(name, texts[name])
        if name in NUMBER_FIELDS:
            setattr(line, name, int(text) if text else None)
        else:
            setattr(line, name, text)


def figures_calendar(session: Session, lines: Sequence[Line] = ()) -> Calendar:
    """The calendar figures of `lines` are counted in: the first one's (the deployment's first
    line when none is named); before `init` made a line, the one a new line would have."""
    first = lines[0] if lines else default_line(session)
    texts = texts_of(first) if first is not None else {**NORWEGIAN_LINE, "name": "-"}
    return _read(tuple(texts.items())).calendar


def line_calendars(session: Session) -> tuple[tuple[int, Calendar], ...]:
    """Every line's calendar (line id, calendar): the days its figures are counted in."""
    return tuple((line.id, config_of(line).calendar) for line in all_lines(session))
