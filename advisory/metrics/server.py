"""`flask --app advisory metrics`: /metrics on an address of its own, and nothing else there.

A small WSGI app, not the Flask app: every other path is a 404, so binding it to an address
Prometheus reaches exposes no page, form or API of the line. It writes no access lines (a
scrape comes every few seconds) and never the scraper's address.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.serving import BaseWSGIServer
from werkzeug.wrappers import Request, Response

from advisory.devserver import AnonymousRequestHandler, anonymous_server
from advisory.metrics.exposition import metrics_response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
SOCKET_TIMEOUT_SECONDS = 10


def metrics_app(app: Flask) -> WSGIApplication:
    """The WSGI app answering GET /metrics, each scrape in an app context of `app`."""

    @Request.application
    def answer(request: Request) -> Response:
        if request.path != METRICS_PATH:
            return _plain("not found\n", 404)
        if request.method not in ("GET", "HEAD"):
            refused = _plain("method not allowed\n", 405)
            refused.headers["Allow"] = "GET, HEAD"
            return refused
        try:
            with app.app_context():
                return metrics_response()
        except Exception:
            # Logged here (exception messages withheld), not by werkzeug, which quotes them.
            logger.exception("error while answering a scrape")
            return _plain("error\n", 500)

    return answer


def make_metrics_server(app: Flask, host: str, port: int) -> BaseWSGIServer:
    # Threads and a socket timeout: a connection that sends nothing holds no other scrape.
    return anonymous_server(host, port, metrics_app(app), QuietRequestHandler)


class QuietRequestHandler(AnonymousRequestHandler):
    """No access lines at all (a scrape comes every few seconds), and a socket timeout."""

    timeout = SOCKET_TIMEOUT_SECONDS

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


def _plain(text: str, status: int) -> Response:
    return Response(text, status=status, mimetype="text/plain")
