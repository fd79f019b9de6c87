"""Search helpers for the no-plaintext invariant: dump everything the database holds as text."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


def dump_database(connection: Connection) -> str:
    """Every row of every table, rendered as text; binary columns as hex and as latin-1."""
    parts: list[str] = []
    inspector = sa.inspect(connection)
    for table_name in inspector.get_table_names():
        table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
        for row in connection.execute(sa.select(table)):
            for value in row:
                parts.append(_as_text(value))
    return "\n".join(parts)


def _as_text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return f"{raw.hex()} {raw.decode('latin-1')}"
    return str(value)
