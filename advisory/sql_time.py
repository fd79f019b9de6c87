"""Time arithmetic as SQL expressions with the same integer results on SQLite and PostgreSQL.

The coordinator's figures are computed in the database (grouped queries), so "which local day
was this case received on" and "how much opening time passed before the first response" must
be SQL too. Neither database is asked about time zones or holidays: the line's calendar
(advisory/hours.py) stays the one authority, and what it knows is handed to the query as
numbers:

- `epoch_seconds(column)`: whole seconds since 1970 of a stored timestamp (stored timestamps
  are naive UTC, see advisory/timestamps.py); fractions of a second are dropped.
- `day_number(column)`: days since 1970-01-01 of a DATE column.
- `LocalDays`: the local calendar day of an instant, as a day number, from a CASE over the
  UTC offsets in force in a range (the daylight saving changes are found with zoneinfo).
- `OpeningClock`: a VALUES table with one row per local day (opening time before that day,
  and the day's open intervals as epoch seconds), so that the opening time before an
  instant is a join and some integer arithmetic. The opening time between two instants is the
  difference, exactly what `Calendar.opening_time_between` gives for whole seconds.

Pure: no Flask, no clock.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, case, column, literal, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import CTE, NamedFromClause

from advisory.hours import Calendar
from advisory.timestamps import UTCDateTime

SECONDS_PER_DAY = 86_400
EPOCH_DAY = date(1970, 1, 1)


class epoch_seconds(FunctionElement[int]):  # noqa: N801 (reads as a SQL function)
    """Whole seconds since 1970-01-01 UTC of a naive-UTC timestamp column."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # Stored as 'YYYY-MM-DD HH:MM:SS.ffffff': cut the fraction off as text (date functions
    # would round it to milliseconds first, 59.9999995 s becoming the next minute). julianday
    # is the cheapest of them; the result is a whole number of seconds, so rounding the double
    # is exact.
    value = compiler.process(element.clauses, **kw)
    return f"CAST(round((julianday(substr({value}, 1, 19)) - 2440587.5) * 86400) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # For a timestamp without time zone, epoch is its nominal UTC seconds (numeric: exact).
    return f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


class day_number(FunctionElement[int]):  # noqa: N801
    """Days since 1970-01-01 of a DATE column."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    # julianday of a date is midnight: a whole number plus one half, so the cast is exact.
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_number_postgresql(element: day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '1970-01-01')"


def to_day_number(day: date) -> int:
    return (day - EPOCH_DAY).days


def from_day_number(number: int) -> date:
    return EPOCH_DAY + timedelta(days=number)


def to_epoch(at: datetime) -> int:
    """Whole seconds since 1970 of an aware instant, fraction dropped (as `epoch_seconds`)."""
    if at.tzinfo is None:
        raise ValueError("to_epoch needs an aware datetime")
    return int(at.astimezone(UTC).replace(microsecond=0).timestamp())


def integer(value: int) -> ColumnElement[int]:
    """A bound integer that PostgreSQL types as one (so division stays integer division)."""
    return literal(value, BigInteger())


# --- local days --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalDays:
    """The local day of instants between `start` and `end`, in `zone`, as SQL.

    `offsets` holds (from epoch, UTC offset in seconds) in order; the first applies before
    the second's start too, and the last after the end, so instants a little outside the
    range are still placed right as long as no offset change lies out there.
    """

    offsets: tuple[tuple[int, int], ...]

    @classmethod
    def between(cls, zone_name: str, start: datetime, end: datetime) -> LocalDays:
        first, last = to_epoch(start) - SECONDS_PER_DAY, to_epoch(end) + SECONDS_PER_DAY
        return cls(_offsets_between(zone_name, first, last))

    def offset(self, epoch: ColumnElement[int]) -> ColumnElement[int]:
        return self._offset_where(epoch, integer)

    def day(self, epoch: ColumnElement[int]) -> ColumnElement[int]:
        """Local day number of an instant given as epoch seconds."""
        return (epoch + self.offset(epoch)) // integer(SECONDS_PER_DAY)

    def day_of(self, stored: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[int]:
        """Local day number of a stored timestamp column.

        The offset is chosen by comparing the stored value itself with the change instants
        (cheap), so the epoch is computed once per row rather than once per comparison.
        """
        return self.day_from(epoch_seconds(stored), stored)

    def day_from(
        self, epoch: ColumnElement[int], stored: ColumnElement[Any] | QueryableAttribute[Any]
    ) -> ColumnElement[int]:
        """`day_of`, with the stored value's epoch already at hand (a column, say)."""
        offset = self._offset_where(
            stored, lambda changes_at: literal(_instant(changes_at), UTCDateTime())
        )
        return (epoch + offset) // integer(SECONDS_PER_DAY)

    def _offset_where(
        self,
        value: ColumnElement[Any] | QueryableAttribute[Any],
        change: Callable[[int], ColumnElement[Any]],
    ) -> ColumnElement[int]:
        """The UTC offset in force at `value`: a CASE over `value < change(instant)` for each
        offset change (the instant in epoch seconds, made comparable to `value`)."""
        if len(self.offsets) == 1:
            return integer(self.offsets[0][1])
        whens = [
            (value < change(changes_at), integer(before))
            for (_, before), (changes_at, _) in zip(self.offsets, self.offsets[1:], strict=False)
        ]
        return case(*whens, else_=integer(self.offsets[-1][1]))


# Every page of figures asks for the same few periods in the same few zones and calendars:
# what they take to work out is kept (a few milliseconds each, several times per page).
@functools.lru_cache(maxsize=256)
def _offsets_between(zone_name: str, first: int, last: int) -> tuple[tuple[int, int], ...]:
    """(from epoch, UTC offset) of `zone_name` from `first` to `last` (epoch seconds)."""
    zone = ZoneInfo(zone_name)
    offsets = [(first, _offset(zone, first))]
    # Offsets change at most a few times a year, never twice within a day: compare day by
    # day, then find the exact second by bisection.
    for lower in range(first, last, SECONDS_PER_DAY):
        upper = min(lower + SECONDS_PER_DAY, last)
        if _offset(zone, upper) != _offset(zone, lower):
            while upper - lower > 1:
                middle = (lower + upper) // 2
                if _offset(zone, middle) == _offset(zone, lower):
                    lower = middle
                else:
                    upper = middle
            offsets.append((upper, _offset(zone, upper)))
    return tuple(offsets)


# Calendars are not hashable (their hours are mappings): the rows of a clock are kept by the
# calendar's identity, with the calendar itself, so that an id is never taken for another's.
# A line's calendar is one object as long as its settings stay (`line_settings.config_of`).
_CLOCK_ROWS: dict[tuple[int, date, date], tuple[Calendar, tuple[tuple[int, ...], ...]]] = {}
_CLOCKS_KEPT = 64
_CLOCK_ROWS_LOCK = threading.Lock()


def _offset(zone: ZoneInfo, epoch: int) -> int:
    offset = datetime.fromtimestamp(epoch, zone).utcoffset() or timedelta(0)
    return int(offset.total_seconds())


def _instant(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def local_midnight(zone_name: str, day: date) -> datetime:
    """The instant (UTC) at which local day `day` begins."""
    return datetime.combine(day, time(0), ZoneInfo(zone_name)).astimezone(UTC)


# --- opening time ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningClock:
    """Opening time as SQL: a table of local days from `first_day` to `last_day`.

    Columns: `d` (day number), `before` (opening seconds from `first_day` up to this day), and
    for each of the day's open intervals `o1`, `c1`, `o2`, `c2`, … (epoch seconds; a day with
    fewer intervals is padded with empty ones).
    """

    calendar: Calendar
    first_day: date
    last_day: date

    def table(self, dialect: str, name: str = "opening_days") -> CTE:
        """The days as a CTE called `name`, bound as a few parameters whatever the number of
        days (their names start with `name`, so that several tables fit in one statement).

        A VALUES list would bind one parameter per number and cost more to compile than to run;
        instead SQLite reads one JSON array (`json_each`) and PostgreSQL one array per column
        (`unnest`). Both are bound parameters; no number is pasted into the SQL.
        """
        if not name.isidentifier():
            raise ValueError("a table name must be an identifier")
        rows = self.rows()
        width = (len(rows[0]) - 2) // 2
        names = ["d", "before", *(f"{bound}{n}" for n in range(1, width + 1) for bound in "oc")]
        columns = [column(label, Integer if label == "d" else BigInteger) for label in names]
        if dialect == "postgresql":
            arrays = {
                f"{name}_{column_name}": [row[index] for row in rows]
                for index, column_name in enumerate(names)
            }
            unnested = ", ".join(f"CAST(:{parameter} AS BIGINT[])" for parameter in arrays)
            statement = text(
                f"SELECT * FROM unnest({unnested}) AS {name} ({', '.join(names)})"  # noqa: S608 (names are ours)
            ).bindparams(**arrays)
        else:
            extracted = ", ".join(
                f"json_extract(value, '$[{index}]') AS {column_name}"
                for index, column_name in enumerate(names)
            )
            statement = text(f"SELECT {extracted} FROM json_each(:{name})").bindparams(  # noqa: S608
                **{name: json.dumps(rows, separators=(",", ":"))}
            )
        return statement.columns(*columns).cte(name)

    def rows(self) -> tuple[tuple[int, ...], ...]:
        """(day number, opening seconds before it, o1, c1, o2, c2, …) per day, padded."""
        key = (id(self.calendar), self.first_day, self.last_day)
        kept = _CLOCK_ROWS.get(key)
        if kept is not None and kept[0] is self.calendar:
            return kept[1]
        rows = self._rows()
        # Request threads share the cache: the oldest entry goes under a lock (another
        # thread's insert between iter() and next() would break the iteration).
        with _CLOCK_ROWS_LOCK:
            if len(_CLOCK_ROWS) >= _CLOCKS_KEPT:
                _CLOCK_ROWS.pop(next(iter(_CLOCK_ROWS)), None)
            _CLOCK_ROWS[key] = (self.calendar, rows)
        return rows

    def _rows(self) -> tuple[tuple[int, ...], ...]:
        intervals_per_day: list[list[tuple[int, int]]] = []
        day = self.first_day
        while day <= self.last_day:
            intervals_per_day.append(
                [
                    (to_epoch(start), to_epoch(end))
                    for start, end in self.calendar.open_intervals(day)
                ]
            )
            day += timedelta(days=1)
        width = max([1, *(len(intervals) for intervals in intervals_per_day)])
        rows: list[tuple[int, ...]] = []
        before = 0
        for offset, intervals in enumerate(intervals_per_day):
            padded = intervals + [(0, 0)] * (width - len(intervals))
            flat = [bound for interval in padded for bound in interval]
            rows.append((to_day_number(self.first_day) + offset, before, *flat))
            before += sum(end - start for start, end in intervals)
        return tuple(rows)

    @staticmethod
    def seconds_before(day_row: NamedFromClause, epoch: ColumnElement[int]) -> ColumnElement[int]:
        """Opening seconds from the table's first day up to the instant `epoch`.

        `day_row` is an alias of `table()` joined on the instant's local day number.
        """
        total: ColumnElement[int] = day_row.c.before
        index = 1
        while f"o{index}" in day_row.c:
            opens, closes = day_row.c[f"o{index}"], day_row.c[f"c{index}"]
            total = total + case(
                (epoch <= opens, integer(0)),
                (epoch >= closes, closes - opens),
                else_=epoch - opens,
            )
            index += 1
        return total
