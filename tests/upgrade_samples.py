"""Sample rows for every table at every revision, and what each should hold at head.

`Samples.write` reflects the tables of the revision a database is at and inserts one row into
each, in foreign-key order: values are made from the column types (distinct per row and per
column, datetimes with microseconds), foreign keys point at the newest row of the table they
name, and a few columns take fixed values that a CHECK constraint or a migration's transform
needs (`OVERRIDES`). `Samples.expected_at_head` replays what the migrations after each row were
meant to do to it (`TRANSFORMS`); a column added later holds NULL unless a transform says
otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from advisory import audit
from advisory.database import JOBSTORE_TABLE
from advisory.models import AuditEvent

# Tables that get no sample rows, and why.
SKIPPED = {
    # Alembic's own bookkeeping: every upgrade rewrites its one row, by design.
    "alembic_version",
    # APScheduler's job store: pickled jobs that only APScheduler reads, which the scheduler
    # replaces with its own at start-up; no migration after 0002 touches the table.
    JOBSTORE_TABLE,
}
# Tables a migration drops on purpose, with their rows (none so far). A table that disappears
# without being named here fails the test: its rows were lost.
DROPPED: frozenset[str] = frozenset()
# Columns not compared: 0006 and 0020 rewrite every row of the figures, which take new ids
# (nothing refers to them). Their rows are matched by their cell instead.
RENUMBERED = {"stats_daily": "id", "stats_monthly": "id"}

BASE_TIME = datetime(2026, 1, 5, 9, 0)  # naive: the columns hold UTC without a zone
BASE_DAY = date(2026, 1, 5)
HISTOGRAMS = ("response_wall_minutes", "response_opening_minutes")
STATS_CELL = ("channel", "kind", "reporter_role", "field", "metric", "bucket")
Row = dict[str, Any]
# table -> column -> value from (serial number of the row, the values made so far)
OVERRIDES: dict[str, dict[str, Callable[[int, Row], object]]] = {
    "case": {
        "priority": lambda n, row: 1 + n % 4,
        "status": lambda n, row: "closed",  # closed_at is set: closed iff closed_at
    },
    "message": {"direction": lambda n, row: "to_reporter"},  # it has an author: outgoing
    "attachment": {"chunks_received": lambda n, row: row["chunk_count"] - 1},
    "audit_event": {"detail": lambda n, row: json.dumps({"n": n}, separators=(",", ":"))},
    # Every other day-row is a histogram, which 0006 narrows to kind "*".
    "stats_daily": {"metric": lambda n, row: HISTOGRAMS[0] if n % 2 else "received"},
}


def revisions_in_order(migrations: Path) -> list[str]:
    """Every revision from the first to head, in the order an upgrade runs them."""
    scripts = ScriptDirectory(str(migrations))
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


@dataclass
class Written:
    revision: str
    table: str
    values: Row


@dataclass
class Samples:
    """What was written at each revision; one instance per database."""

    chain_key: bytes
    enums: Mapping[tuple[str, str], list[str]]  # the head models' enum values, by column
    written: list[Written] = field(default_factory=list)
    newest: dict[str, Row] = field(default_factory=dict)  # each table's newest row

    def write(self, connection: sa.Connection, revision: str) -> None:
        """One sample row into each table the database has now."""
        for table in tables_of(connection).values():
            if table.name in SKIPPED:
                continue
            values = self._values(table, serial=len(self.written) + 1)
            result = connection.execute(table.insert().values(values))
            key = result.inserted_primary_key
            assert key is not None
            values.update(key._asdict())
            self.newest[table.name] = values
            self.written.append(Written(revision, table.name, values))

    def _values(self, table: sa.Table, serial: int) -> Row:
        row: Row = {}
        overrides = OVERRIDES.get(table.name, {})
        for position, column in enumerate(table.columns):
            if column is table.autoincrement_column:
                continue
            if column.foreign_keys:
                (key,) = column.foreign_keys
                row[column.name] = self.newest[key.column.table.name][key.column.name]
            elif column.name in overrides:
                row[column.name] = overrides[column.name](serial, row)
            elif (table.name, column.name) in self.enums:
                row[column.name] = self.enums[table.name, column.name][0]
            else:
                row[column.name] = typed_value(column, serial, position)
        if table.name == "audit_event":
            row.update(self._link(row, keyed="seq" in table.columns))
        return row

    def _link(self, row: Row, *, keyed: bool) -> Row:
        """The next link of the audit chain: the old unkeyed one before 0008, keyed after."""
        events = [w.values for w in self.written if w.table == "audit_event"]
        if keyed:
            seq, prev_hash, _ = keyed_links(self.chain_key, [*events, row])[-1]
            link = {"seq": seq, "prev_hash": prev_hash}
            return {**link, "hash": keyed_mac(self.chain_key, {**row, **link})}
        prev_hash = events[-1]["hash"] if events else audit.GENESIS_HASH
        fields = [prev_hash, *_mac_fields(row)]
        canonical = json.dumps(fields, separators=(",", ":")).encode("ascii")
        return {"prev_hash": prev_hash, "hash": hashlib.sha256(canonical).hexdigest()}

    def tables(self) -> set[str]:
        return {w.table for w in self.written}

    def expected_at_head(
        self, order: list[str], head: Mapping[str, sa.Table], line_settings: Mapping[str, str]
    ) -> dict[str, list[Row]]:
        """Every table's rows at head: as written, changed as each later migration meant."""
        unknown = set(TRANSFORMS) - set(order)
        assert not unknown, f"transforms for revisions that do not exist: {unknown}"
        tables: dict[str, list[Row]] = {}
        context = _Context(line_settings=line_settings)
        for revision in order:
            if revision in TRANSFORMS:
                TRANSFORMS[revision](tables, context)
            for w in self.written:
                if w.revision == revision:
                    tables.setdefault(w.table, []).append(dict(w.values))
                    if w.table == "line" and context.first_line is None:
                        context.first_line = w.values["id"]
        # 0008 numbered the old events and keyed their links; the later ones were written so.
        events = tables.get("audit_event", [])
        for event, (seq, prev_hash, mac) in zip(
            events, keyed_links(self.chain_key, events), strict=True
        ):
            event.update(seq=seq, prev_hash=prev_hash, hash=mac)
        for name, rows in tables.items():
            if name in head:  # a column added later, and set by no transform, is NULL
                columns = [c.name for c in head[name].columns]
                rows[:] = [{c: row.get(c) for c in columns} for row in rows]
        return tables


def tables_of(connection: sa.Connection) -> dict[str, sa.Table]:
    """The database's tables in foreign-key order, with their columns and keys only (a full
    reflection reads every index and constraint too, and takes five times as long)."""
    inspector = sa.inspect(connection)
    metadata = sa.MetaData()
    primary_keys = inspector.get_multi_pk_constraint()
    foreign_keys = inspector.get_multi_foreign_keys()
    for (schema, name), columns in inspector.get_multi_columns().items():
        primary = primary_keys[schema, name]["constrained_columns"]
        sa.Table(
            name,
            metadata,
            *(sa.Column(c["name"], c["type"], primary_key=c["name"] in primary) for c in columns),
            *(
                sa.ForeignKeyConstraint(
                    key["constrained_columns"],
                    [f"{key['referred_table']}.{column}" for column in key["referred_columns"]],
                )
                for key in foreign_keys[schema, name]
            ),
        )
    return {table.name: table for table in metadata.sorted_tables}


def typed_value(column: sa.Column[Any], serial: int, position: int) -> object:
    """A value of the column's type, distinct for each row and each column of a row."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return (serial + position) % 2 == 0
    if isinstance(kind, sa.Integer):
        return serial * 100 + position
    if isinstance(kind, sa.DateTime):
        return BASE_TIME + timedelta(days=serial, minutes=position, microseconds=serial + position)
    if isinstance(kind, sa.Date):
        return BASE_DAY + timedelta(days=serial * 3 + position)
    if isinstance(kind, sa.LargeBinary):
        digest = hashlib.sha256(f"{serial}:{column.table.name}.{column.name}".encode()).digest()
        return digest[: kind.length or len(digest)]
    if isinstance(kind, sa.String):
        text = f"{serial}:{column.table.name}.{column.name}"
        return text[: kind.length] if kind.length else text
    raise TypeError(f"no sample value for {column.table.name}.{column.name} ({kind!r})")


def keyed_links(key: bytes, events: Iterable[Row]) -> list[tuple[int, str, str]]:
    """(seq, prev_hash, hash) of each event, numbered and keyed in the given order."""
    links = []
    prev_hash = audit.GENESIS_HASH
    for seq, event in enumerate(events, start=1):
        mac = keyed_mac(key, {**event, "seq": seq, "prev_hash": prev_hash})
        links.append((seq, prev_hash, mac))
        prev_hash = mac
    return links


def keyed_mac(key: bytes, row: Row) -> str:
    """The app's own MAC (advisory.audit.event_mac) of an event row."""
    event = AuditEvent(
        seq=row["seq"],
        prev_hash=row["prev_hash"],
        occurred_at=row["occurred_at"].replace(tzinfo=UTC),
        actor_staff_id=row["actor_staff_id"],
        action=row["action"],
        case_reference=row["case_reference"],
        detail=row["detail"],
    )
    return audit.event_mac(key, event)


def _mac_fields(row: Row) -> list[object]:
    at = row["occurred_at"].replace(tzinfo=UTC).isoformat(timespec="microseconds")
    return [at, row["actor_staff_id"], row["action"], row["case_reference"], row["detail"]]


def by_identity(table: sa.Table, rows: Iterable[Mapping[Any, Any]]) -> dict[object, Row]:
    """Rows by their primary key (the figures: by their cell), as comparable values."""
    renumbered = RENUMBERED.get(table.name)
    if renumbered:
        identity = [c.name for c in table.columns if c.name not in (renumbered, "count")]
    else:
        identity = [c.name for c in table.primary_key.columns]
    found: dict[object, Row] = {}
    for row in rows:
        values = {
            name: bytes(value) if isinstance(value, memoryview) else value
            for name, value in row.items()
            if name != renumbered
        }
        key = tuple(values[name] for name in identity)
        assert key not in found, f"two rows of {table.name} are {key}"
        found[key] = values
    return found


# --- what the migrations meant to change --------------------------------------------------------


@dataclass
class _Context:
    line_settings: Mapping[str, str]  # what 0017 gives the lines there were
    first_line: int | None = None


Tables = dict[str, list[Row]]


def _legacy_dedupe_keys(tables: Tables, context: _Context) -> None:
    for row in tables.get("notification", []):
        row["dedupe_key"] = f"legacy:{row['id']}"


def _fold_flag_and_narrow_figures(tables: Tables, context: _Context) -> None:
    for row in tables.get("case", []):
        row["stats_folded"] = False
    monthly: Counter[tuple[object, ...]] = Counter()
    daily: Counter[tuple[object, ...]] = Counter()
    for row in tables.pop("stats_daily", []):
        channel, metric, bucket, count = (row[c] for c in ("channel", "metric", "bucket", "count"))
        if metric in HISTOGRAMS:  # counted by channel only
            kind = role = field_ = "*"
        else:
            kind, role, field_ = row["kind"], row["reporter_role"], row["field"]
        monthly[row["day"].replace(day=1), channel, kind, role, field_, metric, bucket] += count
        daily[row["day"], channel, kind, "*", "*", metric, bucket] += count
    tables["stats_monthly"] = _cells("month", monthly)
    tables["stats_daily"] = _cells("day", daily)


def _cells(period: str, counts: Counter[tuple[object, ...]]) -> list[Row]:
    names = (period, *STATS_CELL)
    return [{**dict(zip(names, cell, strict=True)), "count": n} for cell, n in counts.items()]


def _old_staff_sign_in_with_passwords(tables: Tables, context: _Context) -> None:
    for row in tables.get("staff", []):
        row["credential_scheme"] = "password"


NUMBERS = ("p1_target_hours", "slot_minutes", "slot_capacity", "retention_days")


def _lines_take_the_environments_settings(tables: Tables, context: _Context) -> None:
    settings: Row = dict(context.line_settings)
    for name in NUMBERS:
        settings[name] = int(settings[name])
    settings["deadline_hours"] = int(settings["deadline_hours"] or 0) or None
    for row in tables.get("line", []):
        row.update(settings)


def _to_the_first_line(*names: str) -> Callable[[Tables, _Context], None]:
    def give(tables: Tables, context: _Context) -> None:
        for name in names:
            for row in tables.get(name, []):
                row["line_id"] = context.first_line

    return give


# revision -> what it does to the rows written before it (beyond adding NULL columns)
TRANSFORMS: dict[str, Callable[[Tables, _Context], None]] = {
    "0002_scheduler_slots_stats": _legacy_dedupe_keys,
    "0006_stats_monthly": _fold_flag_and_narrow_figures,
    # 0008 keys the audit chain: Samples.expected_at_head links every event last.
    "0009_staff_key_pairs": _old_staff_sign_in_with_passwords,
    "0017_line_settings": _lines_take_the_environments_settings,
    "0019_callback_slot_per_line": _to_the_first_line("callback_slot"),
    "0020_stats_per_line": _to_the_first_line("stats_daily", "stats_monthly"),
}
