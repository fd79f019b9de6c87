"""Offering and booking callback slots.

Each line has its own places: a slot's bookings are counted per line (`callback_slot` is keyed
by line and start), so a booking on one line never takes a place of another line's slot.
Capacity is enforced by one conditional UPDATE on the slot's row (`booked < capacity`), so two
people racing for the last place can never both get it, on SQLite or PostgreSQL. On SQLite the
loser may instead see "database is locked" (its snapshot is stale); that surfaces as
`BookingConflict` and the caller retries in a fresh transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from itertools import islice
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from advisory.hours import Calendar
from advisory.models import Callback, CallbackSlot, CallbackStatus, Case, ContactPreference
from advisory.services.line_settings import line_config
from advisory.services.notifications import NotificationKind, tell_coordinators
from advisory.slots import DutyRoster, Slot, slots_between
from advisory.upserts import OnConflict

# How far ahead to look for any free slot once the deadline cannot be met.
OVERFLOW_HORIZON = timedelta(days=60)
_SLOTS = cast(Table, CallbackSlot.__table__)
_BOOKED_BETWEEN = select(CallbackSlot.slot_start, CallbackSlot.booked).where(
    CallbackSlot.line_id == bindparam("line_id"),
    CallbackSlot.slot_start >= bindparam("first"),
    CallbackSlot.slot_start <= bindparam("last"),
)


class SlotRules(Protocol):
    """What a line's callback slots are cut by: its `LineConfig` (calendar, roster, length)."""

    @property
    def calendar(self) -> Calendar: ...

    @property
    def roster(self) -> DutyRoster: ...

    @property
    def slot_minutes(self) -> int: ...


class BookingConflict(Exception):
    """Another booking won the race for this slot; retry in a new transaction."""


@dataclass(frozen=True)
class Booking:
    callback: Callback
    after_deadline: bool  # nothing was free before callback_due_at: the coordinator is warned


def free_slots(
    session: Session,
    line: SlotRules,
    *,
    line_id: int,
    after: datetime,
    until: datetime,
    limit: int,
) -> list[Slot]:
    """The earliest slots of line `line_id` (its settings: `line`) with a free place that start
    at/after `after` and end by `until`."""
    slots = _free_slots(session, line_id, line, after, until, first_batch=limit)
    return list(islice(slots, limit))


def _free_slots(
    session: Session,
    line_id: int,
    line: SlotRules,
    after: datetime,
    until: datetime,
    first_batch: int,
) -> Iterator[Slot]:
    """Slots with a free place, earliest first, read from the database a batch at a time."""
    for batch in _batches(_candidate_slots(line, after, until), first=max(first_batch, 16)):
        booked = _booked_counts(session, line_id, batch[0].start, batch[-1].start)
        for slot in batch:
            if booked.get(_utc(slot.start), 0) < slot.capacity:
                yield slot


def book_callback(
    session: Session,
    *,
    case: Case,
    now: datetime,
    contact_envelope: str | None,
    slot_start: datetime | None = None,
    attempts: int = 1,
    line: SlotRules | None = None,
) -> Booking:
    """Book the chosen slot, or the earliest free one before the deadline (or after it),
    among the slots of the case's own line (`line`: its settings, if the caller holds them
    already; else they are read here).

    Raises `SlotUnavailable` when a chosen slot is full, and `BookingConflict` when a
    concurrent booking made this transaction's view stale.
    """
    if line is None:
        line = line_config(session, case.line_id)
    if slot_start is not None:
        # A time that is not a slot ahead of us within the horizon was never offered.
        if not now <= slot_start <= now + OVERFLOW_HORIZON:
            raise SlotUnavailable(SlotProblem.TAKEN)
        slot = _slot_starting_at(line, slot_start, now)
        if slot is None or not _take_place(session, case.line_id, slot):
            raise SlotUnavailable(SlotProblem.TAKEN)
        return Booking(_add_callback(session, case, slot, contact_envelope, attempts), False)

    # One pass from now: the earliest free place, before the deadline while any is left, else
    # the first after it (then the coordinator is warned). A place taken by someone else
    # between the look-up and the booking just moves the search on. The first look-up covers
    # most of a week's slots: when the line is busy, the earliest days are the full ones.
    horizon = now + OVERFLOW_HORIZON
    for slot in _free_slots(session, case.line_id, line, now, horizon, first_batch=64):
        if _take_place(session, case.line_id, slot):
            callback = _add_callback(session, case, slot, contact_envelope, attempts)
            after_deadline = slot.end > case.callback_due_at
            if after_deadline:
                _warn_capacity(session, case, callback, now)
            return Booking(callback, after_deadline)
    raise SlotUnavailable(SlotProblem.NONE_FREE)


def _warn_capacity(session: Session, case: Case, callback: Callback, now: datetime) -> None:
    key = f"capacity:{case.reference}:{callback.slot_start:%Y%m%dT%H%M}"
    tell_coordinators(session, case, NotificationKind.CAPACITY_WARNING, key, now)


def answer_in_inbox_instead(session: Session, case: Case, *, now: datetime) -> None:
    """No callback place could be booked for a new case: it is answered in the secure inbox,
    and the coordinator is told, since either the places or the limits need a look."""
    case.contact_preference = ContactPreference.INBOX
    key = f"callback-unbooked:{case.reference}"
    tell_coordinators(session, case, NotificationKind.CALLBACK_UNBOOKED, key, now)


def release_place(session: Session, callback: Callback) -> None:
    """Give a booked callback's place back (cancelled, missed, or done) to its case's line."""
    session.execute(
        update(CallbackSlot)
        .where(
            CallbackSlot.line_id == callback.case.line_id,
            CallbackSlot.slot_start == callback.slot_start,
            CallbackSlot.booked > 0,
        )
        .values(booked=CallbackSlot.booked - 1)
    )


class SlotProblem(StrEnum):
    TAKEN = "taken"  # the chosen slot is full or not a slot of the calendar
    NONE_FREE = "none_free"  # nothing free up to the booking horizon
    NOTHING_BOOKED = "nothing_booked"  # there is no booked callback to move


class SlotUnavailable(Exception):
    """No place can be booked as asked; `problem` says why."""

    def __init__(self, problem: SlotProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def _take_place(session: Session, line_id: int, slot: Slot) -> bool:
    """One place in `slot` of line `line_id`, if it has one left: a single INSERT ... ON
    CONFLICT DO UPDATE.

    The slot's row is created with this booking, or its count raised only while below the
    capacity; the database decides, so two bookings racing for the last place cannot both
    get it. Returns whether this one did.
    """
    start, end = _utc(slot.start), _utc(slot.end)
    try:
        parameters = {
            "line_id": line_id,
            "slot_start": start,
            "slot_end": end,
            "booked": 1,
            "capacity": slot.capacity,
        }
        taken = _TAKE_PLACE.execute(session, parameters).first()
    except OperationalError as exc:
        if "locked" in str(exc.orig):
            raise BookingConflict(str(slot.start)) from exc
        raise
    return taken is not None


# The line, the slot and its capacity come as parameters.
_TAKE_PLACE = OnConflict(
    lambda insert: (
        insert(_SLOTS)
        .on_conflict_do_update(
            index_elements=[_SLOTS.c.line_id, _SLOTS.c.slot_start],
            set_={"booked": _SLOTS.c.booked + 1},
            where=_SLOTS.c.booked < bindparam("capacity"),
        )
        .returning(_SLOTS.c.slot_start)
    )
)


def _add_callback(
    session: Session, case: Case, slot: Slot, contact_envelope: str | None, attempts: int
) -> Callback:
    callback = Callback(
        case=case,
        slot_start=_utc(slot.start),
        slot_end=_utc(slot.end),
        status=CallbackStatus.BOOKED,
        attempts=attempts,
        contact_envelope=contact_envelope,
    )
    session.add(callback)
    session.flush()
    return callback


def _slot_starting_at(line: SlotRules, start: datetime, now: datetime) -> Slot | None:
    length = timedelta(minutes=line.slot_minutes)
    for slot in slots_between(line.calendar, line.roster, length, start, start + length):
        if slot.start == start and slot.start >= now:
            return slot
    return None


def _candidate_slots(line: SlotRules, after: datetime, until: datetime) -> Iterable[Slot]:
    length = timedelta(minutes=line.slot_minutes)
    return slots_between(line.calendar, line.roster, length, after, until)


def _booked_counts(
    session: Session, line_id: int, first: datetime, last: datetime
) -> dict[datetime, int]:
    """Places taken in the line's slots starting from `first` to `last` (slots without a row:
    none)."""
    parameters = {"line_id": line_id, "first": _utc(first), "last": _utc(last)}
    rows = session.execute(_BOOKED_BETWEEN, parameters)
    return {start: booked for start, booked in rows}


def _batches(slots: Iterable[Slot], first: int, largest: int = 64) -> Iterable[list[Slot]]:
    """Slots in batches of `first`, then twice as many each time, up to `largest`.

    A batch costs one query whatever its size (a range of starts), but its slots are computed
    first: most look-ups find what they need in a day's slots, and a busy week is still
    searched in a handful of queries.
    """
    size = max(1, min(first, largest))
    batch: list[Slot] = []
    for slot in slots:
        batch.append(slot)
        if len(batch) == size:
            yield batch
            batch = []
            size = min(size * 2, largest)
    if batch:
        yield batch


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)
