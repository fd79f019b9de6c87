"""The app as `wsgi.py` builds it, plus one route that only `bench/intake.py` uses.

    gunicorn -c gunicorn.conf.py 'bench.bench_app:create_bench_app()'

`POST /bench/baseline` is the floor that intake is measured against: the same gunicorn worker,
the same Flask app (session cookie, CSRF check, rate-limit wrapper of nothing, security
headers), the same SQLAlchemy session, one row inserted and committed; but no form, no triage,
no slots, no template. The route is added to the app object built here only: the product's
blueprints, extensions and `wsgi.py` are untouched, and CSRF stays on (the client sends the
token of its session, as it does for intake). Importing this module builds nothing.
"""

from __future__ import annotations

from flask import Flask, abort, request

from advisory import create_app
from advisory.context import db_session, now
from advisory.models import Notification

BASELINE_PATH = "/bench/baseline"
BASELINE_KIND = "bench-baseline"  # Notification.kind of the rows the baseline inserts
BASELINE_KEY_PREFIX = "bench:"  # + the client's key: the unique dedupe_key of each row


def create_bench_app() -> Flask:
    """`create_app()` with settings from the environment, as wsgi.py, plus the baseline."""
    app = create_app()
    if not app.extensions["advisory_settings"].initialised:
        raise SystemExit("bench_app: the instance has no secrets; bench/intake.py sets them.")
    app.add_url_rule(BASELINE_PATH, endpoint="bench_baseline", view_func=baseline, methods=["POST"])
    return app


def baseline() -> tuple[str, int]:
    """Insert one row named by the client's `key` and commit it; 200 means stored."""
    key = request.form.get("key", "")
    if not 0 < len(key) <= 100:
        abort(400)
    db_session().add(
        Notification(kind=BASELINE_KIND, dedupe_key=BASELINE_KEY_PREFIX + key, created_at=now())
    )
    db_session().commit()
    return "stored\n", 200
