"""Made-up cases: the columns of one case, and the draws that make a plausible one.

The demo year, the benchmarks and the tests all build their cases here, so a new column or a
new rule for a case's status reaches every made-up case at once. Nothing here touches a
session: `case_columns` gives the columns, for `Case(**columns)` or for a bulk insert.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from advisory.hours import Calendar
from advisory.models import (
    CallbackStatus,
    CaseStatus,
    Channel,
    CloseOutcome,
    ContactPreference,
    Field,
    Kind,
    ReporterRole,
)

KIND_WEIGHTS = {
    Kind.SEXUAL_HARASSMENT: 34,
    Kind.DISCRIMINATION: 18,
    Kind.ABUSE_OF_POWER: 26,
    Kind.OTHER: 9,
    Kind.GENERAL_QUESTION: 13,
}
ROLE_WEIGHTS = {
    ReporterRole.EXPERIENCED: 58,
    ReporterRole.WITNESSED: 14,
    ReporterRole.ASKING_FOR_SOMEONE: 10,
    ReporterRole.EMPLOYER_OR_REPRESENTATIVE: 8,
    None: 10,
}
FIELD_WEIGHTS = {
    Field.MUSIC: 27,
    Field.STAGE: 24,
    Field.FILM_TV: 19,
    Field.VISUAL_ARTS: 8,
    Field.LITERATURE: 5,
    Field.OTHER: 5,
    None: 12,
}
CHANNEL_WEIGHTS = {Channel.WEB: 64, Channel.PHONE: 27, Channel.VOICEMAIL: 9}

T = TypeVar("T")


def pick(rng: random.Random, weights: Mapping[T, int]) -> T:
    """One key of `weights`, drawn in proportion to its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def arrival(rng: random.Random, day: date, zone: ZoneInfo) -> datetime:
    """An instant of `day` (UTC): mostly in opening hours on working days, evenings and
    weekends too."""
    if day.weekday() < 5 and rng.random() < 0.7:
        minute = rng.randrange(9 * 60, 16 * 60)
    else:
        minute = rng.randrange(7 * 60, 23 * 60)
    local = datetime.combine(day, time(minute // 60, minute % 60), zone)
    return local.astimezone(UTC) + timedelta(seconds=rng.randrange(60))


def answered_calls(rng: random.Random, answered: datetime) -> list[tuple[datetime, CallbackStatus]]:
    """The calls of a callback case, oldest first: mostly the one that reached the caller at
    `answered`, sometimes after one or two that got no answer, two hours apart."""
    misses = 0 if rng.random() < 0.75 else rng.choice([1, 1, 2])
    return [
        (
            answered - timedelta(hours=2 * attempt),
            CallbackStatus.REACHED if attempt == 0 else CallbackStatus.NO_ANSWER,
        )
        for attempt in range(misses, -1, -1)
    ]


def progress_status(first_response_at: datetime | None, closed_at: datetime | None) -> CaseStatus:
    """How far a case has come: closed, answered (in progress) or not answered yet (new)."""
    if closed_at is not None:
        return CaseStatus.CLOSED
    return CaseStatus.IN_PROGRESS if first_response_at is not None else CaseStatus.NEW


def case_columns(
    calendar: Calendar,
    *,
    reference: str,
    line_id: int,
    received_at: datetime,
    channel: Channel,
    kind: Kind,
    narrative_envelope: str,
    first_response_at: datetime | None = None,
    closed_at: datetime | None = None,
    close_outcome: CloseOutcome | None = CloseOutcome.ADVICE_GIVEN,
    callback: bool = False,
    callback_due_at: datetime | None = None,
    **columns: Any,
) -> dict[str, Any]:
    """The columns of a valid case: its deadline follows from `calendar` (unless given), its
    status from its answer and closing times, its outcome counts only once it is closed;
    `columns` add to these or override them."""
    if callback_due_at is None:
        callback_due_at = calendar.callback_due(received_at)
    return {
        "reference": reference,
        "line_id": line_id,
        "received_at": received_at,
        "channel": channel,
        "kind": kind,
        "contact_preference": ContactPreference.CALLBACK if callback else ContactPreference.INBOX,
        "priority": 3,
        "status": progress_status(first_response_at, closed_at),
        "close_outcome": close_outcome if closed_at is not None else None,
        "callback_due_at": callback_due_at.astimezone(UTC),
        "first_response_at": first_response_at,
        "closed_at": closed_at,
        "narrative_envelope": narrative_envelope,
        **columns,
    }
