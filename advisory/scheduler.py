"""The scheduler: APScheduler with its job store in the app database, behind a lock.

Any number of processes may run `SchedulerService`; only the one holding the database lock
runs sweeps, the others wait and take over when the holder stops. The job store persists the
sweep schedule; the sweeps themselves look at state, so nothing depends on a job having fired.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import Engine, create_engine

from advisory.context import current_settings, db_session, now
from advisory.database import JOBSTORE_TABLE, expecting_writes, tune_sqlite
from advisory.extensions import db
from advisory.jobs import SWEEPS
from advisory.metrics.instruments import timed_sweep
from advisory.scheduler_lock import Lock, lock_for, record_heartbeat

logger = logging.getLogger(__name__)

# The app the persisted jobs run against. APScheduler stores jobs as a textual reference to a
# module-level function, so that function needs one place to find the app of this process.
_bound_app: Flask | None = None


def run_sweep(name: str) -> int:
    """Entry point of the persisted jobs: one sweep in its own transaction."""
    if _bound_app is None:
        raise RuntimeError("no app bound: start the scheduler through SchedulerService")
    return run_sweep_in(_bound_app, name)


def run_sweep_in(app: Flask, name: str) -> int:
    """Run one sweep and commit; on failure roll back, log, and let the next tick retry."""
    with app.app_context(), expecting_writes():
        sweep = SWEEPS[name]
        try:
            with timed_sweep(name):
                changed = sweep(db_session(), current_settings(), now())
                db_session().commit()
        except Exception:
            db_session().rollback()
            logger.exception("sweep %r failed; it will run again at the next tick", name)
            return 0
        if changed:
            logger.info("sweep %r changed %d item(s)", name, changed)
        return changed


class SchedulerBusy(Exception):
    """Another process holds the scheduler lock."""


def run_all_sweeps_once(app: Flask) -> dict[str, int]:
    """Every sweep once, under the same lock as the long-running scheduler."""
    service = SchedulerService(app)
    with app.app_context():
        moment = now()
    if not service.lock.acquire(moment):
        raise SchedulerBusy("another scheduler is running; it will do the sweeps")
    try:
        record_heartbeat(service.engine, service.lock.owner, moment)
        return {name: run_sweep_in(app, name) for name in SWEEPS}
    finally:
        service.lock.release()


class SchedulerService:
    """Waits for the lock, runs the sweeps while it holds it, and steps down if it loses it."""

    def __init__(self, app: Flask) -> None:
        global _bound_app
        _bound_app = app
        self.app = app
        settings = app.extensions["advisory_settings"]
        self.tick = timedelta(seconds=settings.scheduler_tick_seconds)
        with app.app_context():
            self.engine = db.engine
        self.lock: Lock = lock_for(self.engine, stale_after=3 * self.tick)
        self._jobstore_engine: Engine | None = None
        self.stopped = threading.Event()
        self._scheduler: BackgroundScheduler | None = None

    def run_forever(self) -> None:
        logger.info("scheduler %s waiting for the lock", self.lock.owner)
        try:
            while not self.stopped.is_set():
                self._step()
                self.stopped.wait(self.tick.total_seconds() / 2)
        finally:
            self._step_down()
            self.lock.release()

    def stop(self) -> None:
        self.stopped.set()

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="advisory-scheduler", daemon=True)
        thread.start()
        return thread

    def _step(self) -> None:
        with self.app.app_context():
            moment = now()
        try:
            if self._scheduler is None:
                if self.lock.acquire(moment):
                    logger.info("scheduler %s holds the lock; sweeps start", self.lock.owner)
                    self._start_sweeps()
            elif not self.lock.renew(moment):
                logger.warning("scheduler %s lost the lock; sweeps stop", self.lock.owner)
                self._step_down()
            if self._scheduler is not None:
                record_heartbeat(self.engine, self.lock.owner, moment)
        except Exception:
            logger.exception("scheduler lock check failed; trying again")

    def _start_sweeps(self) -> None:
        # The job store gets an engine of its own: APScheduler disposes it on shutdown.
        self._jobstore_engine = create_engine(self.engine.url, pool_pre_ping=True)
        if self._jobstore_engine.dialect.name == "sqlite":
            tune_sqlite(self._jobstore_engine)
        jobstore = SQLAlchemyJobStore(engine=self._jobstore_engine, tablename=JOBSTORE_TABLE)
        scheduler = BackgroundScheduler(
            jobstores={"default": jobstore},
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        scheduler.start()
        for name in SWEEPS:
            scheduler.add_job(
                "advisory.scheduler:run_sweep",
                trigger="interval",
                seconds=self.tick.total_seconds(),
                args=[name],
                id=f"sweep:{name}",
                name=f"sweep {name}",
                replace_existing=True,
                # Catch up at once after a start; sweeps look at state, not at missed runs.
                next_run_time=datetime.now(UTC),
            )
        self._scheduler = scheduler

    def _step_down(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
        if self._jobstore_engine is not None:
            self._jobstore_engine.dispose()
            self._jobstore_engine = None
