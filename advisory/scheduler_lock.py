"""Exactly one scheduler per deployment, decided by the database all workers share.

PostgreSQL: a session-level advisory lock held on a dedicated connection; it vanishes with the
process, however that process dies. SQLite: a lock row whose holder refreshes a heartbeat; a
row whose heartbeat is older than `stale_after` may be taken over.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Protocol, cast

from sqlalchemy import Connection, Engine, Table, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from advisory.database import expecting_writes
from advisory.models import SchedulerLock
from advisory.upserts import OnConflict

LOCK_NAME = "scheduler"
# A row the scheduler holding the lock rewrites at every step, on either database: readiness
# checks (`/readyz`, `doctor`) read its age. On SQLite the lock row beats too, but as a lock.
HEARTBEAT_NAME = "heartbeat"
# An arbitrary constant: the advisory-lock key that means "the Advisory Line scheduler".
POSTGRES_LOCK_KEY = 0x4144_5649_534F_5259 & 0x7FFF_FFFF_FFFF_FFFF


class Lock(Protocol):
    owner: str

    def acquire(self, now: datetime) -> bool: ...
    def renew(self, now: datetime) -> bool: ...
    def release(self) -> None: ...


def make_owner_id() -> str:
    """Host, process and a random part: which process holds the lock, for operators."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lock_for(engine: Engine, *, stale_after: timedelta) -> Lock:
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    return HeartbeatRowLock(engine, stale_after=stale_after)


class PostgresAdvisoryLock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.owner = make_owner_id()
        self._connection: Connection | None = None

    def acquire(self, now: datetime) -> bool:
        if self._connection is not None:  # already ours: a new connection would be refused
            return self.renew(now)
        connection = self.engine.connect()
        got = connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": POSTGRES_LOCK_KEY}
        ).scalar_one()
        connection.commit()
        if got:
            self._connection = connection
            return True
        connection.close()
        return False

    def renew(self, now: datetime) -> bool:
        """Still ours while the connection that took it is alive."""
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except Exception:
            self._connection = None
            return False
        return True

    def release(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": POSTGRES_LOCK_KEY}
            )
            self._connection.commit()
        finally:
            self._connection.close()
            self._connection = None


class HeartbeatRowLock:
    def __init__(self, engine: Engine, *, stale_after: timedelta) -> None:
        self.engine = engine
        self.stale_after = stale_after
        self.owner = make_owner_id()

    def acquire(self, now: datetime) -> bool:
        # Read, then write: begun with the write lock, or a holder's heartbeat committed in
        # between would make SQLite refuse the write outright ("database is locked").
        with expecting_writes(), self.engine.begin() as connection:
            row = connection.execute(
                select(SchedulerLock.owner, SchedulerLock.heartbeat_at).where(
                    SchedulerLock.name == LOCK_NAME
                )
            ).first()
            if row is None:
                try:
                    with connection.begin_nested():
                        connection.execute(
                            insert(SchedulerLock).values(
                                name=LOCK_NAME, owner=self.owner, heartbeat_at=now
                            )
                        )
                except IntegrityError:
                    return False
                return True
            # Take over only from ourselves or from a holder that stopped beating.
            taken = connection.execute(
                update(SchedulerLock)
                .where(
                    SchedulerLock.name == LOCK_NAME,
                    SchedulerLock.owner == row.owner,
                    (SchedulerLock.owner == self.owner)
                    | (SchedulerLock.heartbeat_at < now - self.stale_after),
                )
                .values(owner=self.owner, heartbeat_at=now)
            )
            return bool(taken.rowcount == 1)

    def renew(self, now: datetime) -> bool:
        with expecting_writes(), self.engine.begin() as connection:
            result = connection.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == LOCK_NAME, SchedulerLock.owner == self.owner)
                .values(heartbeat_at=now)
            )
            return bool(result.rowcount == 1)

    def release(self) -> None:
        with expecting_writes(), self.engine.begin() as connection:
            connection.execute(
                delete(SchedulerLock).where(
                    SchedulerLock.name == LOCK_NAME, SchedulerLock.owner == self.owner
                )
            )


_LOCKS = cast(Table, SchedulerLock.__table__)
_BEAT = OnConflict(
    lambda insert: (statement := insert(_LOCKS)).on_conflict_do_update(
        index_elements=[SchedulerLock.name],
        set_={
            "owner": statement.excluded.owner,
            "heartbeat_at": statement.excluded.heartbeat_at,
        },
    )
)


def record_heartbeat(engine: Engine, owner: str, now: datetime) -> None:
    """Say that `owner`, holding the lock, was sweeping at `now`."""
    row = {"name": HEARTBEAT_NAME, "owner": owner, "heartbeat_at": now}
    with expecting_writes(), engine.begin() as connection:
        connection.execute(_BEAT.for_dialect(engine.dialect.name), row)


def last_heartbeat(session: Session) -> datetime | None:
    """When the scheduler holding the lock last beat; None before its first beat."""
    return session.scalar(
        select(SchedulerLock.heartbeat_at).where(SchedulerLock.name == HEARTBEAT_NAME)
    )
