"""The development server behind `make run`, with an access log that has no addresses."""

from __future__ import annotations

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, run_simple


class AnonymousRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler prefixes every log line with the client address; we never want it."""

    def address_string(self) -> str:
        return "-"


def serve(app: Flask, host: str, port: int) -> None:
    run_simple(
        host,
        port,
        app,
        request_handler=AnonymousRequestHandler,
        use_reloader=False,
        threaded=True,
    )
