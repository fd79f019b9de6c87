"""Whether this instance can serve: its database answers, its schema is the code's, and a
scheduler is sweeping. The answers are yes or no; why not goes to the log, never to the
asker (`/readyz` is for load balancers, which anyone can reach)."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from advisory.scheduler_lock import last_heartbeat

logger = logging.getLogger(__name__)

# A heartbeat is fresh for this many scheduler ticks: the holder beats every half tick.
FRESH_FOR_TICKS = 3


@dataclass(frozen=True)
class Readiness:
    database: bool
    migrations: bool
    scheduler: bool

    @property
    def ready(self) -> bool:
        return self.database and self.migrations and self.scheduler

    def problems(self) -> list[str]:
        """What is not ready, in words for the operator's log."""
        named = {
            "the database does not answer": self.database,
            "the database schema is not at the code's migration head": self.migrations,
            "no scheduler heartbeat in the last ticks": self.scheduler,
        }
        return [problem for problem, fine in named.items() if not fine]


def check_readiness(
    session: Session, *, migrations_dir: Path, now: datetime, tick: timedelta
) -> Readiness:
    try:
        # The first question asks the database too: no SELECT 1 of its own on every probe.
        migrations = migrations_current(session, migrations_dir)
    except SQLAlchemyError:
        logger.warning("readiness: the database does not answer")
        return Readiness(database=False, migrations=False, scheduler=False)
    readiness = Readiness(
        database=True,
        migrations=migrations,
        # A schema behind the code may lack the heartbeat's table: not asked, not ready.
        scheduler=migrations and scheduler_fresh(session, now=now, tick=tick),
    )
    if not readiness.ready:
        logger.warning("readiness: %s", "; ".join(readiness.problems()))
    return readiness


def migrations_current(session: Session, migrations_dir: Path) -> bool:
    """The database's Alembic revisions are exactly the code's heads."""
    return set(database_heads(session.connection())) == set(code_heads(migrations_dir))


def database_heads(connection: Connection) -> tuple[str, ...]:
    """The migration revisions the database's schema is at (none before the first)."""
    return tuple(MigrationContext.configure(connection).get_current_heads())


def code_heads(migrations_dir: Path) -> tuple[str, ...]:
    """The migration revisions this code's schema is at."""
    return _heads(str(migrations_dir))


@functools.cache
def _heads(migrations_dir: str) -> tuple[str, ...]:
    # The code's heads do not change while it runs: read the scripts once.
    config = Config()
    config.set_main_option("script_location", migrations_dir)
    return tuple(ScriptDirectory.from_config(config).get_heads())


def scheduler_fresh(session: Session, *, now: datetime, tick: timedelta) -> bool:
    """A scheduler holding the lock has beaten within the last FRESH_FOR_TICKS ticks."""
    beat = last_heartbeat(session)
    return beat is not None and now - FRESH_FOR_TICKS * tick <= beat <= now + tick
