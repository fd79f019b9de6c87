"""Several workers writing to one SQLite file: reports never fail with 'database is locked'.

A deferred transaction that reads first and writes later is refused outright when another
writer committed in between; requests that write therefore begin with BEGIN IMMEDIATE.
"""

import threading
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select

from advisory import create_app, database
from advisory.extensions import db
from advisory.models import Case
from tests import reporter_helpers as rh
from tests.conftest import DEFAULT_NOW, base_env

THREADS = 4
REPORTS_EACH = 8


def test_concurrent_reports_on_one_sqlite_file_all_succeed(tmp_path: Path):
    app = create_app(base_env(tmp_path, f"sqlite:///{tmp_path / 'busy.db'}"))
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
    with app.app_context():
        upgrade()
        rh.set_up_line_key(db.session())
    statuses: list[int] = []
    barrier = threading.Barrier(THREADS)

    def reporter() -> None:
        client = app.test_client()
        pages = [rh.get_report(client) for _ in range(REPORTS_EACH)]  # reads first
        barrier.wait()
        for page in pages:
            response = client.post("/report", data=rh.report_data(page, narrative="x"))
            statuses.append(response.status_code)

    try:
        threads = [threading.Thread(target=reporter) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with app.app_context():
            stored = db.session.scalar(select(func.count()).select_from(Case))
    finally:
        with app.app_context():
            db.engine.dispose()

    assert statuses == [rh.STORED] * (THREADS * REPORTS_EACH)
    assert stored == THREADS * REPORTS_EACH


def test_a_post_does_not_leave_the_write_intent_behind(client, db_session):
    """The flag lives for one request: a later transaction in the same thread starts deferred."""
    client.post("/language", data={})  # refused (no CSRF token), but it was a POST
    assert database._writes_expected.get() is False
