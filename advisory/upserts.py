"""INSERT ... ON CONFLICT built once for each database we run on, and the rows it inserts.

SQLite and PostgreSQL spell ON CONFLICT alike, but each dialect has its own insert construct.
Built once per dialect, a statement costs nothing to build per request; its values come as
parameters. A row it inserted can join the session as the persistent object it is, without
being read back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Result, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.sql import Executable

InsertFor = Callable[[Table], Any]  # the dialect's `insert(table)`, with its on_conflict_* methods
_INSERTS: dict[str, InsertFor] = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}

Model = TypeVar("Model")


class OnConflict:
    """One INSERT ... ON CONFLICT statement, as `build` writes it with each dialect's insert."""

    def __init__(self, build: Callable[[InsertFor], Executable]) -> None:
        self._statements = {dialect: build(insert) for dialect, insert in _INSERTS.items()}

    def execute(self, session: Session, parameters: Mapping[str, Any]) -> Result[Any]:
        return session.execute(self.for_dialect(session.get_bind().dialect.name), dict(parameters))

    def for_dialect(self, name: str) -> Executable:
        """The statement for the database `name` ("sqlite", "postgresql"), for a Connection."""
        return self._statements[name]


def adopt(
    session: Session, model: Callable[..., Model], row: Mapping[str, Any], row_id: int
) -> Model:
    """The row just inserted as `row_id`, in the session as a persistent object, not re-read.

    Columns left out of `row` stay unloaded (expired): they are read from the database if asked.
    """
    instance = model(**row, id=row_id)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
