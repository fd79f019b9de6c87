"""The development server behind `make run`, with an access log that has no addresses."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

logger = logging.getLogger(__name__)


class AnonymousRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler prefixes every log line with the client address; we never want it."""

    def address_string(self) -> str:
        return "-"


def anonymous_server(
    host: str, port: int, app: Any, handler: type[WSGIRequestHandler] = AnonymousRequestHandler
) -> BaseWSGIServer:
    """A threaded werkzeug server whose logs name no client: `handler` hides the address in
    werkzeug's lines, and socketserver's own error report (which names it) is replaced."""
    server = make_server(host, port, app, threaded=True, request_handler=handler)
    server.handle_error = _handle_error  # type: ignore[method-assign]
    return server


def serve(app: Flask, host: str, port: int) -> None:
    server = anonymous_server(host, port, app)
    logger.info("Serving Advisory Line on http://%s:%d (development server)", host, port)
    serve_until_interrupted(server)


def serve_until_interrupted(server: BaseWSGIServer) -> None:
    """Serve until Ctrl-C (or the service manager's stop), then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _handle_error(request: Any, client_address: Any) -> None:
    logger.exception("error while handling a request")
