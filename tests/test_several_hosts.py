"""Several hosts: two app servers and two schedulers on one PostgreSQL and one Redis.

The deployment DESIGN.md describes for more than one host, run for real: two gunicorn servers
(gunicorn.conf.py, `wsgi:app`), each on a port and an instance folder of its own, and two
`flask --app advisory scheduler` processes, all sharing one PostgreSQL database (made for this
module, dropped after it) and one Redis (database 11, which no other test uses; only this
module's keys are deleted). Notification mail goes to an SMTP sink in this process.

1. A reporter without JavaScript opens the report form on one server, sends it to the other,
   and opens the case with its code on the first.
2. The rate limits count both servers together: the lookup budget runs out at the same total
   as on one server, and then both refuse.
3. Killing the scheduler that holds the lock (SIGKILL) hands the sweeps to the standby within
   two ticks, and every notification is mailed exactly once, those still unsent at the kill
   included. `pytest -s` prints the takeover time.
4. No log of any of these processes names a client address.

Every process is stopped when the module ends, whether its tests passed or not.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.orm import Session

import crypto
from advisory import create_app, passwords
from advisory.extensions import db
from advisory.models import Case, Notification, Role, SchedulerLock, Staff
from advisory.ratelimit import client_key
from advisory.scheduler_lock import HEARTBEAT_NAME
from advisory.services.line_keys import initialise_line
from advisory.services.notifications import describe
from advisory.services.staff import add_staff
from advisory.timestamps import utcnow
from tests.conftest import POSTGRES_ENV, POSTGRES_URL, base_env
from tests.reporter_helpers import case_code_on
from tests.support.host_processes import (
    LOOPBACK,
    Answer,
    Browser,
    Service,
    healthy,
    logged,
    start_gunicorn,
    start_scheduler,
    stop_all,
    wait_until,
)
from tests.support.redis_client import reachable_redis
from tests.support.smtp_sink import SmtpSink, free_port, running_smtp_sink

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason=f"several hosts share PostgreSQL: {POSTGRES_ENV} is not set"
)

REDIS_URL = "redis://127.0.0.1:6379/11"  # no other test uses database 11
TICK_SECONDS = 5  # the shortest tick the settings allow
LOOKUP_LIMIT = 6  # failed case-code lookups per client and minute, on all servers together
LAWYERS = {"lawyer-oslo": "oslo@line.example", "lawyer-bergen": "bergen@line.example"}
NARRATIVE = "Written on one server, sent to the other (several-hosts-canary-3197)."
WRONG_CODE = "7K3M-9QXW-2HDN-5RTV-8CBJ"
START_SECONDS = 30.0
WAITING = "waiting for the lock"  # what a scheduler logs first, holding the lock or not


# --- the deployment ----------------------------------------------------------------------------


@dataclass
class Deployment:
    engine: sa.Engine
    servers: list[Service]
    schedulers: list[Service]
    sink: SmtpSink
    redis: Any
    ratelimit_master: bytes = field(repr=False)

    def heartbeat(self) -> tuple[int, datetime] | None:
        """The pid of the scheduler that last said it holds the lock, and when it said so
        (the owner is `host:pid:random`, scheduler_lock.make_owner_id)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(SchedulerLock.owner, SchedulerLock.heartbeat_at).where(
                    SchedulerLock.name == HEARTBEAT_NAME
                )
            ).first()
        if row is None:
            return None
        _host, pid, _random = row.owner.rsplit(":", 2)
        return int(pid), row.heartbeat_at

    def scheduler_with_pid(self, pid: int) -> Service | None:
        return next((s for s in self.schedulers if s.pid == pid), None)

    def rate_limit_keys(self) -> list[bytes]:
        """The Redis keys of this module's counters: the loopback address's, around today."""
        today = datetime.now(UTC).date()
        days = (today - timedelta(days=1), today, today + timedelta(days=1))
        keys = [client_key(self.ratelimit_master, LOOPBACK, day) for day in days]
        return [name for key in keys for name in self.redis.scan_iter(f"*{key}*")]

    def forget_rate_limits(self) -> None:
        for name in self.rate_limit_keys():
            self.redis.delete(name)


def own_database(stack: ExitStack) -> str:
    """A database for this module on the test server, dropped when the stack closes."""
    server = sa.make_url(POSTGRES_URL)
    name = f"{server.database}_hosts_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    stack.callback(admin.dispose)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    stack.callback(drop)
    return server.set(database=name).render_as_string(hide_password=False)


def initialise(env: dict[str, str]) -> None:
    """Migrations, the line key and two lawyers with addresses, as `flask init` and
    `flask staff add` leave them (made here, at a low KDF cost)."""
    data_key = bytes.fromhex(env["ADVISORY_DATA_KEY"])
    app = create_app(env)
    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "TIME_COST", 1)
        patch.setattr(passwords, "MEMORY_COST_KIB", 8)
        patch.setattr(passwords, "PARALLELISM", 1)
        upgrade()
        moment = utcnow()
        initialise_line(db.session(), now=moment, iterations=1000, data_key=data_key)
        for username, address in LAWYERS.items():
            new = add_staff(
                db.session(), username=username, role=Role.LAWYER, data_key=data_key, now=moment
            )
            new.staff.email = address
        db.session.commit()
        db.engine.dispose()


def deploy(stack: ExitStack, folder: Path, redis: Any) -> Deployment:
    """Start everything; the stack stops it all again and drops the database."""
    database_url = own_database(stack)
    sink = stack.enter_context(running_smtp_sink())
    own_secrets = {  # this module's own: its rate-limit keys meet no other test's
        "ADVISORY_SECRET_KEY": secrets.token_hex(32),
        "ADVISORY_PEPPER": secrets.token_hex(32),
        "ADVISORY_DATA_KEY": secrets.token_hex(32),
    }
    shared = {
        **own_secrets,
        "ADVISORY_HOSTS": "2",
        "ADVISORY_RATELIMIT_STORAGE": REDIS_URL,
        "ADVISORY_REPORT_LIMIT": "1000 per minute",
        "ADVISORY_LOOKUP_LIMIT": f"{LOOKUP_LIMIT} per minute",
        "ADVISORY_SCHEDULER_TICK_SECONDS": str(TICK_SECONDS),
        "ADVISORY_SMTP_HOST": LOOPBACK,
        "ADVISORY_SMTP_PORT": str(sink.port),
        "ADVISORY_SMTP_STARTTLS": "false",
    }

    def env_for(name: str) -> dict[str, str]:
        home = folder / name
        home.mkdir()
        return {
            "PATH": os.environ.get("PATH", ""),
            # gunicorn opens a control socket in $XDG_RUNTIME_DIR: keep it in the host's folder.
            "XDG_RUNTIME_DIR": str(home),
            **base_env(home / "instance", database_url, **shared),
        }

    services: list[Service] = []
    stack.callback(stop_all, services)
    # The servers touch the database only once asked; they boot while it is made ready.
    for name in ("server-a", "server-b"):
        services.append(start_gunicorn(name, free_port(), env_for(name), folder))
    # In this process: counting in memory, so the suite's own apps never count in Redis here.
    initialise({**env_for("init"), "ADVISORY_RATELIMIT_STORAGE": "memory://"})
    # A scheduler that holds the lock uses the job store table at once: after the migrations.
    for name in ("scheduler-1", "scheduler-2"):
        services.append(start_scheduler(name, env_for(name), folder))
    engine = sa.create_engine(database_url)
    stack.callback(engine.dispose)
    master = crypto.derive_subkey(bytes.fromhex(own_secrets["ADVISORY_SECRET_KEY"]), "ratelimit")
    return Deployment(engine, services[:2], services[2:], sink, redis, master)


def wait_until_started(deployed: Deployment) -> None:
    """Both servers answer, both schedulers run, and one of them holds the lock."""
    for server in deployed.servers:
        wait_until(f"{server.name} answers", healthy(server), START_SECONDS, server)
    for scheduler in deployed.schedulers:
        wait_until(f"{scheduler.name} starts", logged(scheduler, WAITING), START_SECONDS, scheduler)

    def one_of_ours_beats() -> bool:
        beat = deployed.heartbeat()
        return beat is not None and deployed.scheduler_with_pid(beat[0]) is not None

    wait_until("a scheduler holds the lock", one_of_ours_beats, START_SECONDS)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    redis = reachable_redis(REDIS_URL, "several hosts share Redis")
    with ExitStack() as stack:
        stack.callback(redis.close)
        deployed = deploy(stack, tmp_path_factory.mktemp("several-hosts"), redis)
        wait_until_started(deployed)
        yield deployed


def test_two_servers_and_two_schedulers_serve_as_one(deployment):
    """One test, so that the deployment starts once: pytest-xdist would start one for each
    worker that took a test of this module. Each part begins with fresh rate limits."""
    for part in (
        a_report_begun_on_one_server_is_finished_on_the_other,
        the_lookup_limit_counts_both_servers_together,
        the_standby_scheduler_takes_over_within_two_ticks_and_mails_each_notice_once,
        no_log_names_a_client_address,
    ):
        deployment.forget_rate_limits()
        part(deployment)


# --- what a reporter does, without JavaScript ----------------------------------------------------


def send_report(browser: Browser, form_from: Service, send_to: Service) -> Answer:
    """The report form from one server, filled in and sent to another: an inbox report."""
    page = browser.get(form_from, "/report").page
    fields = {
        "csrf_token": page.input_value("csrf_token"),
        "submission_token": page.input_value("submission_token"),
        "kind": "discrimination",
        "contact_preference": "inbox",
        "slot": "any",
        "narrative": NARRATIVE,
    }
    return browser.post(send_to, "/report", fields)


def look_up(browser: Browser, form_from: Service, send_to: Service, code: str) -> Answer:
    page = browser.get(form_from, "/follow-up").page
    fields = {"csrf_token": page.input_value("csrf_token"), "code": code}
    return browser.post(send_to, "/follow-up", fields)


# --- 1. a report begun on one server and finished on the other ----------------------------------


def a_report_begun_on_one_server_is_finished_on_the_other(deployment):
    a, b = deployment.servers
    reporter = Browser()

    # Given the report form (its CSRF token, session cookie and form token) from server A,
    # when the reporter's next request reaches server B
    sent = send_report(reporter, form_from=a, send_to=b)

    # Then B stores the report and answers with the receipt, which A shows with the code
    assert sent.status == 303, sent.text
    receipt = reporter.get(a, urlsplit(sent.location).path)
    assert receipt.status == 200
    code = case_code_on(receipt.page)
    assert len(code.replace("-", "")) == 20

    # And the code opens the case on either server, the text B sealed readable on A
    inbox = look_up(reporter, form_from=b, send_to=a, code=code)
    assert inbox.status == 200, inbox.text
    assert NARRATIVE in inbox.text
    assert look_up(Browser(), form_from=a, send_to=b, code=code).status == 200
    with deployment.engine.connect() as connection:
        envelopes = connection.execute(sa.select(Case.narrative_envelope)).scalars().all()
    assert envelopes
    assert not any(NARRATIVE in (envelope or "") for envelope in envelopes)


# --- 2. one rate limit across both servers ------------------------------------------------------


def lookups_until_refused(servers: list[Service]) -> int:
    """How many failed lookups one reporter gets answered, sent to `servers` in turn."""
    reporter = Browser()
    for number in range(3 * LOOKUP_LIMIT):
        status = look_up(reporter, servers[0], servers[number % len(servers)], WRONG_CODE).status
        if status == 429:
            return number
        assert status == 400, number
    pytest.fail(f"{3 * LOOKUP_LIMIT} failed lookups, and none refused")


def the_lookup_limit_counts_both_servers_together(deployment):
    a, b = deployment.servers

    # Given the lookup budget of a server on its own
    on_one = lookups_until_refused([a])
    deployment.forget_rate_limits()

    # When failed lookups go to A and B in turn
    on_both = lookups_until_refused([a, b])

    # Then the budget runs out at the same total: both servers spent one budget, in Redis
    assert on_one == on_both == LOOKUP_LIMIT
    assert look_up(Browser(), a, a, WRONG_CODE).status == 429
    assert look_up(Browser(), b, b, WRONG_CODE).status == 429
    keys = deployment.rate_limit_keys()
    assert keys
    assert all(0 < deployment.redis.ttl(name) <= 60 for name in keys)


# --- 3. the standby scheduler takes over ---------------------------------------------------------


def unmailed(engine: sa.Engine) -> list[tuple[str | None, datetime | None]]:
    """(case reference, claimed at) of every notification not mailed yet."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(Notification.case_reference, Notification.email_claimed_at).where(
                Notification.emailed_at.is_(None)
            )
        )
        return [(reference, claimed) for reference, claimed in rows]


def expected_mails(engine: sa.Engine) -> Counter[tuple[str, str]]:
    """(address, subject) of the mail every stored notification calls for, once each: a
    note for one lawyer goes to that lawyer, a note for the lawyers to both (there is one
    line, and nobody declined a case), and nobody else here has an address."""
    with Session(engine) as session:
        notes = session.scalars(sa.select(Notification)).all()
        staff = session.execute(sa.select(Staff.id, Staff.email))
        addresses = {staff_id: email for staff_id, email in staff}
    expected: Counter[tuple[str, str]] = Counter()
    for note in notes:
        if note.staff_id is not None:
            to = [addresses[note.staff_id]]
        else:
            to = list(LAWYERS.values()) if note.role is Role.LAWYER else []
        expected.update((address, describe(note)) for address in to if address)
    return expected


def new_case_mails(references: list[str]) -> Counter[tuple[str, str]]:
    """The "new case" mail to each lawyer for each case."""
    return Counter(
        (address, f"New case: case {reference}")
        for reference in references
        for address in LAWYERS.values()
    )


def report_references(deployment: Deployment, count: int) -> list[str]:
    """Send `count` reports, to A and B in turn; the references of the cases they made."""
    with deployment.engine.connect() as connection:
        before = set(connection.execute(sa.select(Case.reference)).scalars())
    for number in range(count):
        server = deployment.servers[number % 2]
        assert send_report(Browser(), server, server).status == 303
    with deployment.engine.connect() as connection:
        after = set(connection.execute(sa.select(Case.reference)).scalars())
    return sorted(after - before)


def the_standby_scheduler_takes_over_within_two_ticks_and_mails_each_notice_once(
    deployment,
):
    sink, engine = deployment.sink, deployment.engine
    beat = deployment.heartbeat()
    assert beat is not None
    active = deployment.scheduler_with_pid(beat[0])
    assert active is not None
    assert active.running()
    [standby] = [s for s in deployment.schedulers if s is not active]

    # Given notices the active scheduler has mailed, and its mail sweep just over ...
    mailed = report_references(deployment, 1)
    sink.wait_for(new_case_mails(mailed), timeout=2 * TICK_SECONDS)
    wait_until("the mail sweep has finished", lambda: not unmailed(engine), TICK_SECONDS)
    # ... and notices it has not mailed, made well before its next sweep (a tick away)
    left = report_references(deployment, 3)
    waiting = unmailed(engine)
    assert {reference for reference, _ in waiting} >= set(left), waiting
    assert all(claimed is None for _, claimed in waiting), "a mail sweep began before the kill"

    # When the active scheduler is killed outright
    killed_at, killed = datetime.now(UTC), time.monotonic()
    os.kill(active.pid, signal.SIGKILL)
    active.process.wait()

    # Then the standby holds the lock and beats within two ticks
    def standby_beats() -> bool:
        beat = deployment.heartbeat()
        return beat is not None and beat[0] == standby.pid

    wait_until("the standby takes over", standby_beats, 2 * TICK_SECONDS + 5, standby)
    seen = time.monotonic() - killed
    new_beat = deployment.heartbeat()
    assert new_beat is not None
    first_beat = (new_beat[1] - killed_at).total_seconds()
    print(
        f"\nscheduler takeover after SIGKILL: first heartbeat of the standby at {first_beat:.2f}"
        f" s, seen by the test at {seen:.2f} s (tick {TICK_SECONDS} s)"
    )
    assert first_beat <= 2 * TICK_SECONDS
    assert seen <= 2 * TICK_SECONDS
    assert "holds the lock; sweeps start" in standby.log

    # And every notice is mailed once: what the killed scheduler mailed is not mailed again,
    # and what it left, the standby mails
    sink.wait_for(new_case_mails(mailed + left), timeout=2 * TICK_SECONDS)
    wait_until("every notification is mailed", lambda: not unmailed(engine), TICK_SECONDS, standby)
    received = sink.pairs()
    assert received == expected_mails(engine)
    assert set(received.values()) == {1}


# --- 4. no client address in any log ------------------------------------------------------------


def no_log_names_a_client_address(deployment):
    for server in deployment.servers:
        log = server.log
        assert '"GET /healthz HTTP/1.1" 200' in log, server.name  # the log is not empty
        # Only gunicorn's line naming the address it listens on, the server's own.
        listening = f"Listening at: http://{LOOPBACK}:{server.port} ("
        naming = [line for line in log.splitlines() if LOOPBACK in line and listening not in line]
        assert naming == [], server.name
    for scheduler in deployment.schedulers:
        assert WAITING in scheduler.log
        assert LOOPBACK not in scheduler.log, scheduler.name
