"""Every stored row, out of one consistent snapshot and back into an empty database.

A backup holds rows, not a database file, so it restores on either database: a SQLite
installation can move to PostgreSQL by restoring its backup there. Rows are read through the
models' own column types, so timestamps come out as aware UTC and go back in exactly as they
were; the audit chain's MACs, computed over those values, verify after a restore.

Two tables are left out: the scheduler's job store (the scheduler writes its schedule again
when it starts) and the scheduler lock with its heartbeat, which describe processes of the old
host, not data.
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.types import TypeDecorator

from advisory.models import Base

LEFT_OUT = frozenset({"scheduler_lock"})
# Rows per INSERT; attachment chunks are large, so a batch also ends at this many bytes.
BATCH_ROWS = 500
BATCH_BYTES = 8 * 1024 * 1024


class BackupFormatError(ValueError):
    """The rows of a backup do not fit this installation's tables."""


def backed_up_tables() -> list[sa.Table]:
    """The tables a backup holds, parents before children."""
    return [table for table in Base.metadata.sorted_tables if table.name not in LEFT_OUT]


@dataclass(frozen=True)
class TableStart:
    name: str
    columns: list[str]


@dataclass(frozen=True)
class TableEnd:
    name: str
    rows: int


Record = TableStart | list[Any] | TableEnd


def read_snapshot(connection: Connection) -> Iterator[Record]:
    """Every backed-up table's rows, in primary-key order, as JSON-ready lists.

    The caller holds one transaction open around the whole iteration, so every table is read
    from the same snapshot (see `snapshot_transaction`)."""
    for table in backed_up_tables():
        columns = list(table.columns)
        yield TableStart(table.name, [column.name for column in columns])
        query = sa.select(*columns).order_by(*table.primary_key.columns)
        count = 0
        result = connection.execution_options(yield_per=BATCH_ROWS).execute(query)
        for row in result:
            count += 1
            yield [encode_value(value) for value in row]
        yield TableEnd(table.name, count)


def snapshot_transaction(connection: Connection) -> sa.RootTransaction:
    """One read-only transaction whose reads all see the same moment, while the app runs.

    PostgreSQL: REPEATABLE READ gives one snapshot for the whole transaction. SQLite in WAL
    mode: a read transaction sees the database as it was at its first read until it ends."""
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ")
        transaction = connection.begin()
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        return transaction
    return connection.begin()


class RowLoader:
    """Writes a backup's records into empty tables; call `finish` once every table came."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.tables = {table.name: table for table in backed_up_tables()}
        self.counts: dict[str, int] = {}
        self._table: sa.Table | None = None
        self._columns: list[str] = []
        self._batch: list[dict[str, Any]] = []
        self._batch_bytes = 0
        self._flushed = 0

    def take(self, record: Record) -> None:
        if isinstance(record, TableStart):
            self._start(record)
        elif isinstance(record, TableEnd):
            self._end(record)
        else:
            self._row(record)

    def finish(self) -> dict[str, int]:
        """The rows restored per table; refuses a backup that stopped before its last table."""
        if self._table is not None:
            raise BackupFormatError(f"the backup stops inside table {self._table.name}")
        missing = sorted(set(self.tables) - set(self.counts))
        if missing:
            raise BackupFormatError(f"the backup holds no rows for: {', '.join(missing)}")
        if self.connection.dialect.name == "postgresql":
            self._advance_sequences()
        return dict(self.counts)

    def _start(self, record: TableStart) -> None:
        table = self.tables.get(record.name)
        if table is None or self._table is not None or record.name in self.counts:
            raise BackupFormatError(f"unexpected table in the backup: {record.name!r}")
        if record.columns != [column.name for column in table.columns]:
            raise BackupFormatError(f"table {record.name} has other columns than this version's")
        self._table, self._columns = table, record.columns

    def _row(self, values: list[Any]) -> None:
        if self._table is None or len(values) != len(self._columns):
            raise BackupFormatError("a row outside a table, or with the wrong number of values")
        columns = self._table.columns
        row = {
            name: checked_value(columns[name], decode_value(value))
            for name, value in zip(self._columns, values, strict=True)
        }
        self._batch.append(row)
        self._batch_bytes += sum(
            len(value) for value in row.values() if isinstance(value, bytes | str)
        )
        if len(self._batch) >= BATCH_ROWS or self._batch_bytes >= BATCH_BYTES:
            self._flush()

    def _end(self, record: TableEnd) -> None:
        if self._table is None or record.name != self._table.name:
            raise BackupFormatError(f"the end of table {record.name!r} comes out of order")
        self._flush()
        if self._flushed != record.rows:
            raise BackupFormatError(
                f"table {record.name}: {self._flushed} rows, the backup says {record.rows}"
            )
        self.counts[record.name] = self._flushed
        self._table, self._flushed = None, 0

    def _flush(self) -> None:
        if self._batch and self._table is not None:
            self.connection.execute(sa.insert(self._table), self._batch)
            self._flushed += len(self._batch)
        self._batch, self._batch_bytes = [], 0

    def _advance_sequences(self) -> None:
        # Rows came with their ids; the next id the database hands out must come after them.
        quote = self.connection.dialect.identifier_preparer
        for table in self.tables.values():
            keys = list(table.primary_key.columns)
            if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
                continue
            key, highest = keys[0], sa.func.max(keys[0])
            sequence = sa.func.pg_get_serial_sequence(quote.format_table(table), key.name)
            # Tables without a sequence (ids given by the app) get NULL here, and no change.
            self.connection.execute(
                sa.select(
                    sa.func.setval(sequence, sa.func.coalesce(highest, 1), highest.is_not(None))
                )
            )


def encode_value(value: Any) -> Any:
    """A column value as JSON: bytes and times tagged, enums by their stored value."""
    if isinstance(value, bytes | memoryview):
        return {"b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"no backup encoding for {type(value).__name__}")


def checked_value(column: sa.Column[Any], value: Any) -> Any:
    """`value` if it is of the kind `column` stores, else BackupFormatError: the database
    would coerce some (a text into a number column on PostgreSQL, anything on SQLite) and the
    app would meet them later."""
    if value is None:
        if column.nullable:
            return value
    elif _of_kind(column.type, value):
        return value
    raise BackupFormatError(f"{column.table.name}.{column.name} holds a value of another kind")


def _of_kind(kind: sa.types.TypeEngine[Any], value: Any) -> bool:
    if isinstance(kind, TypeDecorator):  # UTCDateTime: what it stores is its impl's kind
        kind = kind.impl_instance
    if isinstance(kind, sa.Enum):
        return isinstance(value, str) and value in kind.enums
    expected = kind.python_type
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is str:
        length = getattr(kind, "length", None)
        return isinstance(value, str) and (length is None or len(value) <= length)
    if expected is datetime:
        return isinstance(value, datetime) and value.utcoffset() is not None
    if expected is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    return isinstance(value, expected)


def decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, text),) = value.items() if len(value) == 1 else ((None, None),)
        if tag == "b" and isinstance(text, str):
            return base64.b64decode(text, validate=True)
        if tag == "t" and isinstance(text, str):
            return datetime.fromisoformat(text)
        if tag == "d" and isinstance(text, str):
            return date.fromisoformat(text)
        raise BackupFormatError("a value of an unknown kind")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise BackupFormatError("a value of an unknown kind")
