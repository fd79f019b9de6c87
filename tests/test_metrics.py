"""/metrics: Prometheus text, counts that move, exact across processes, and no identity.

Two ways in: /staff/admin/metrics for a signed-in administrator, and `flask --app advisory
metrics`, a server of its own that answers /metrics and nothing else. Every label is a name
from the code or a stored category; a reporter's words, code, address or user agent, sent
through the app on purpose, are searched for in what a scrape returns and are not there.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from werkzeug.test import Client

from advisory import create_app, scheduler
from advisory.jobs import SWEEPS
from advisory.logging_config import formatter_for
from advisory.metrics import instruments
from advisory.metrics import server as server_module
from advisory.metrics.exposition import MULTIPROCESS_VARIABLE
from advisory.metrics.instruments import (
    METHODS,
    OTHER_METHOD,
    SWEEP_FAILURES,
    SWEEP_SECONDS,
    UNMATCHED,
)
from advisory.metrics.readings import database_families
from advisory.metrics.server import make_metrics_server, metrics_app
from advisory.models import Case, Role, SchedulerLock
from advisory.scheduler import run_sweep_in
from advisory.scheduler_lock import HEARTBEAT_NAME
from advisory.settings import SettingsError
from advisory.vocabulary import CallbackStatus, CaseStatus, Channel
from tests.conftest import DEFAULT_NOW, base_env
from tests.reporter_helpers import (
    case_code_on,
    follow_up_csrf,
    get_report,
    page_of,
    report_data,
)
from tests.support.raw_http import status_of_get
from tests.test_queue import sign_in_as

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGE = "/staff/admin/metrics"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape, parsed as Prometheus does: (name, labels) → value."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def admin(app: Flask, db_session, make_staff) -> FlaskClient:
    """A client of its own, signed in as an administrator who finished the first sign-in."""
    client = app.test_client()
    staff = make_staff(Role.ADMIN, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, staff)
    return client


def scrape(admin: FlaskClient) -> Samples:
    response = admin.get(PAGE)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


# --- the format and what it holds ----------------------------------------------------------------


def test_the_page_is_prometheus_text_with_every_family(admin):
    response = admin.get(PAGE)

    text = response.get_data(as_text=True)
    families = {family.name for family in text_string_to_metric_families(text)}
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert response.headers["Cache-Control"] == "no-store"
    assert {
        "advisory_http_requests",
        "advisory_cases",
        "advisory_callbacks",
        "advisory_deadlines_at_risk",
        "advisory_deadlines_breached",
        "advisory_scheduler_lag_seconds",
        "advisory_database_up",
    } <= families
    assert "_created" not in text  # no microsecond moment of any first request


def test_requests_are_counted_by_route_name_and_status_never_by_path(app, admin):
    visitor = app.test_client()
    before = scrape(admin)

    visitor.get("/")
    visitor.get("/")
    visitor.get("/cases/SECRETREF")  # a staff page: the sign-in page for an anonymous visitor
    visitor.get("/no/such/page")
    after = scrape(admin)

    def moved(endpoint: str, status: str) -> float:
        labels = {"endpoint": endpoint, "method": "GET", "status": status}
        return value(after, "advisory_http_requests_total", **labels) - value(
            before, "advisory_http_requests_total", **labels
        )

    assert moved("reporter.landing", "200") == 2
    assert moved("queue.case_view", "302") == 1
    assert moved(UNMATCHED, "404") == 1
    assert not any("SECRETREF" in "".join(map(str, key)) for key in after)


def test_a_report_moves_the_case_and_request_counts(app, admin, line_key):
    reporter = app.test_client()
    labels = {"channel": "web", "status": "new"}
    submitted = {"endpoint": "reporter.submit_report", "method": "POST", "status": "303"}
    before = scrape(admin)

    stored = reporter.post("/report", data=report_data(get_report(reporter)))
    after = scrape(admin)

    assert stored.status_code == 303
    assert value(after, "advisory_cases", **labels) == value(before, "advisory_cases", **labels) + 1
    assert value(after, "advisory_http_requests_total", **submitted) == (
        value(before, "advisory_http_requests_total", **submitted) + 1
    )


def test_deadline_gauges_use_the_schedulers_definitions(db_session, settings, make_case):
    hour = timedelta(hours=1)
    make_case(callback_due_at=DEFAULT_NOW + hour)  # at risk: within two opening hours
    make_case(callback_due_at=DEFAULT_NOW + timedelta(days=3))  # not yet
    make_case(callback_due_at=DEFAULT_NOW - hour)  # breached
    make_case(callback_due_at=DEFAULT_NOW - hour, first_response_at=DEFAULT_NOW - 2 * hour)
    make_case(callback_due_at=DEFAULT_NOW - hour, status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW)

    found = samples_of(database_families(db_session, settings, DEFAULT_NOW))

    assert value(found, "advisory_deadlines_at_risk") == 1
    assert value(found, "advisory_deadlines_breached") == 1
    web = {"channel": "web"}
    assert value(found, "advisory_cases", **web, status="new") == 4
    assert value(found, "advisory_cases", **web, status="closed") == 1
    # Every combination is there, zeros too, so that an alert never waits for a first case.
    cases = [key for key in found if key[0] == "advisory_cases"]
    assert len(cases) == len(Channel) * len(CaseStatus)  # and no kind of case: see readings.py
    callbacks = [key for key in found if key[0] == "advisory_callbacks"]
    assert len(callbacks) == len(CallbackStatus)


def test_scheduler_lag_is_the_age_of_the_heartbeat(db_session, settings):
    never = samples_of(database_families(db_session, settings, DEFAULT_NOW))
    beat = DEFAULT_NOW - timedelta(seconds=90)
    db_session.add(SchedulerLock(name=HEARTBEAT_NAME, owner="host:1:abc", heartbeat_at=beat))
    db_session.flush()

    beaten = samples_of(database_families(db_session, settings, DEFAULT_NOW))

    assert value(never, "advisory_scheduler_lag_seconds") == float("inf")
    assert value(beaten, "advisory_scheduler_lag_seconds") == 90


def samples_of(families) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }


def test_sweeps_are_timed_and_failures_counted(bare_app, monkeypatch):
    def counts() -> tuple[float, float]:
        found = samples_of([*SWEEP_SECONDS.collect(), *SWEEP_FAILURES.collect()])
        return (
            value(found, "advisory_sweep_duration_seconds_count", sweep="deadlines"),
            value(found, "advisory_sweep_failures_total", sweep="deadlines"),
        )

    def broken(session, settings, now):
        raise RuntimeError("the sweep broke")

    timed, failed = counts()
    monkeypatch.setitem(scheduler.SWEEPS, "deadlines", lambda session, settings, now: 0)
    run_sweep_in(bare_app, "deadlines")
    monkeypatch.setitem(scheduler.SWEEPS, "deadlines", broken)
    run_sweep_in(bare_app, "deadlines")

    assert counts() == (timed + 2, failed + 1)


def test_a_database_that_does_not_answer_is_a_zero_not_a_failed_scrape(bare_app, caplog):
    # bare_app's database has no tables: every query fails.
    response = Client(metrics_app(bare_app)).get("/metrics")

    found = samples(response.get_data(as_text=True))
    assert response.status_code == 200
    assert value(found, "advisory_database_up") == 0
    assert "metrics: the database does not answer" in caplog.text


# --- who may read it -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "location"),
    [
        (None, 302, "/staff/login"),
        (Role.LAWYER, 403, None),
        (Role.COORDINATOR, 403, None),
        (Role.ADMIN, 200, None),
    ],
    ids=["anonymous", "lawyer", "coordinator", "admin"],
)
def test_only_a_signed_in_admin_reads_the_page(app, db_session, make_staff, role, status, location):
    client = app.test_client()
    if role is not None:
        staff = make_staff(role, must_change_password=False, totp_confirmed=True)
        sign_in_as(client, db_session, staff)

    response = client.get(PAGE)

    assert response.status_code == status
    assert response.headers.get("Location") == location
    assert ("advisory_cases" in response.get_data(as_text=True)) is (role is Role.ADMIN)


def test_the_app_itself_has_no_metrics_address(app, admin):
    assert admin.get("/metrics").status_code == 404


@pytest.mark.parametrize(
    "path", ["/", "/report", "/staff/login", "/healthz", "/metrics/", "/metrics/x", PAGE]
)
def test_the_metrics_server_answers_nothing_but_metrics(app, path):
    response = Client(metrics_app(app)).get(path)

    assert response.status_code == 404
    assert response.get_data(as_text=True) == "not found\n"


def test_the_metrics_server_serves_metrics_and_refuses_posts(app):
    server = Client(metrics_app(app))

    scraped = server.get("/metrics")
    posted = server.post("/metrics")

    assert scraped.status_code == 200
    assert "advisory_database_up" in {
        f.name for f in text_string_to_metric_families(scraped.get_data(as_text=True))
    }
    assert posted.status_code == 405


def test_a_scrape_that_fails_is_a_plain_500_logged_without_its_message(app, caplog, monkeypatch):
    message = "CANARY-SCRAPE-MESSAGE-41f0"  # off the raising line, which the traceback shows

    def broken() -> None:
        raise RuntimeError(message)

    monkeypatch.setattr(server_module, "metrics_response", broken)

    response = Client(metrics_app(app)).get("/metrics")

    assert (response.status_code, response.get_data(as_text=True)) == (500, "error\n")
    assert "error while answering a scrape" in caplog.text
    assert "CANARY-SCRAPE-MESSAGE" not in caplog.text


def test_a_count_that_cannot_be_written_never_fails_the_request(client, caplog, monkeypatch):
    def disk_full(*_labels: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(instruments.REQUESTS, "labels", disk_full)

    answer = client.get("/")

    assert answer.status_code == 200
    assert "metrics: a request could not be counted" in caplog.text


def test_an_empty_multiprocess_folder_setting_stops_start_up(tmp_path, monkeypatch):
    monkeypatch.setenv(MULTIPROCESS_VARIABLE, "")

    with pytest.raises(SettingsError, match=f"{MULTIPROCESS_VARIABLE}: set but empty"):
        create_app(base_env(tmp_path, f"sqlite:///{tmp_path / 'a.db'}"))


def test_the_metrics_server_over_a_socket_logs_no_address(app, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    server = make_metrics_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        answers = {path: status_of_get(server.port, path) for path in ("/metrics", "/")}
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()

    assert answers == {"/metrics": 200, "/": 404}
    out, err = capfd.readouterr()
    assert "127.0.0.1" not in out + err + caplog.text


# --- several processes ---------------------------------------------------------------------------

# Two forked workers count requests, as gunicorn's do, with the folder set before the import.
TWO_WORKERS = """
import os
from advisory.metrics.instruments import count_request
for times in (1, 2):
    pid = os.fork()
    if pid == 0:
        for _ in range(times):
            count_request("reporter.landing", "GET", 200)
        os._exit(0)
    os.waitpid(pid, 0)
"""


def test_the_counts_of_several_processes_add_up(app, db_session, tmp_path, monkeypatch):
    env = {"PATH": os.environ.get("PATH", ""), MULTIPROCESS_VARIABLE: str(tmp_path)}
    subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", TWO_WORKERS], cwd=REPO_ROOT, env=env, check=True, timeout=60
    )
    monkeypatch.setenv(MULTIPROCESS_VARIABLE, str(tmp_path))

    response = Client(metrics_app(app)).get("/metrics")

    found = samples(response.get_data(as_text=True))
    labels = {"endpoint": "reporter.landing", "method": "GET", "status": "200"}
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per worker
    assert value(found, "advisory_http_requests_total", **labels) == 3
    assert value(found, "advisory_database_up") == 1  # read once, not once per process


# --- no identity ---------------------------------------------------------------------------------

NARRATIVE = "CANARY-METRICS-NARRATIVE-5e1b"
REMOTE_ADDR = "198.51.100.71"
FORWARDED_FOR = "203.0.113.171"
USER_AGENT = "CanaryMetricsAgent/3.1 (ua-metrics-9c2d)"


def test_no_reporter_canary_reaches_metrics_or_json_logs(app, admin, line_key, db_session, caplog):
    caplog.set_level(logging.DEBUG)
    reporter = app.test_client()
    reporter.environ_base.update(
        {
            "REMOTE_ADDR": REMOTE_ADDR,
            "HTTP_X_FORWARDED_FOR": FORWARDED_FOR,
            "HTTP_X_REAL_IP": FORWARDED_FOR,
            "HTTP_USER_AGENT": USER_AGENT,
        }
    )
    # Given a report, its receipt and its inbox, a staff path naming its reference, and paths
    # and query strings carrying the canary
    stored = reporter.post("/report", data=report_data(get_report(reporter), narrative=NARRATIVE))
    receipt = stored.headers["Location"]
    code = case_code_on(page_of(reporter.get(receipt)))
    reporter.post("/follow-up", data={"csrf_token": follow_up_csrf(reporter), "code": code})
    reference = db_session.scalars(select(Case.reference)).one()
    reporter.get(f"/cases/{reference}")
    reporter.get(f"/{NARRATIVE}?q={NARRATIVE}&code={code}")
    reporter.get(f"/?q={NARRATIVE}")
    reporter.post("/language", data={"language": "en"})  # no CSRF token: a log line

    # When the metrics are read, both ways, and the log is written as JSON
    with app.app_context():
        served = Client(metrics_app(app)).get("/metrics").get_data(as_text=True)
    page = admin.get(PAGE).get_data(as_text=True)
    formatter = formatter_for("json")
    log = "\n".join(formatter.format(record) for record in caplog.records)
    assert '"logger": "flask_wtf.csrf"' in log  # the log is not empty

    # Then no canary is there
    canaries = [NARRATIVE, code, code.replace("-", ""), reference, receipt.rsplit("/", 1)[-1]]
    canaries += [REMOTE_ADDR, FORWARDED_FOR, USER_AGENT, "CanaryMetricsAgent", "ua-metrics-9c2d"]
    assert stored.status_code == 303
    for text in (served, page, log):
        assert [canary for canary in canaries if canary in text] == []
    # And every label is a name from the code or a stored category
    assert_only_known_labels(app, samples(page))


ROUTE_NAME = re.compile(r"[a-z_]+(\.[a-z_]+)?")


def assert_only_known_labels(app: Flask, found: Samples) -> None:
    known = {
        "endpoint": set(app.view_functions) | {UNMATCHED},
        "method": METHODS | {OTHER_METHOD},
        "sweep": set(SWEEPS),
        "channel": {str(member) for member in Channel},
    }
    statuses = {str(member) for member in (*CaseStatus, *CallbackStatus)}
    for name, labels in found:
        for label, given in labels:
            if label == "le":  # a histogram's bucket bound
                float(given)
            elif label == "status":
                assert given.isdigit() or given in statuses, (name, given)
            elif label == "endpoint" and given not in known[label]:
                # Counters are the process's: another test's app may have counted a route of
                # its own. Still a route's name, which a client cannot write.
                assert ROUTE_NAME.fullmatch(given), (name, label, given)
            else:
                assert given in known[label], (name, label, given)


@pytest.mark.parametrize("command", ["metrics", "serve"])
def test_a_port_beyond_the_range_is_refused_not_served_elsewhere(bare_app, command):
    result = bare_app.test_cli_runner().invoke(args=[command, "--port", "99999"])

    assert result.exit_code == 2
    assert "99999 is not in the range 1<=x<=65535" in result.output
