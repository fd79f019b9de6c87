"""`/healthz` and `/readyz` for load balancers and process supervisors.

Both answer in one word and say nothing else about the instance: anyone who can reach the
site can ask. Neither is rate-limited (only the views in `ratelimit.LIMITED_VIEWS` are), so a
busy reporter page never makes a balancer take a healthy instance out.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response

from advisory.context import current_settings, db_session, now
from advisory.database import MIGRATIONS_DIR
from advisory.services.readiness import check_readiness

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def alive() -> Response:
    """The process answers requests; nothing else is looked at."""
    return _plain("ok", 200)


@bp.get("/readyz")
def ready() -> Response:
    """The database answers, its schema is the code's, and a scheduler is sweeping."""
    tick = timedelta(seconds=current_settings().scheduler_tick_seconds)
    readiness = check_readiness(db_session(), migrations_dir=MIGRATIONS_DIR, now=now(), tick=tick)
    return _plain("ready", 200) if readiness.ready else _plain("not ready", 503)


def _plain(word: str, status: int) -> Response:
    response = Response(word + "\n", status=status, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
