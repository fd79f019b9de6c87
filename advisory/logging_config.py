"""Logging that never writes a client's address or user agent.

The app logs no request metadata at all. Access logs are produced by the servers, and each
is configured next to it: `advisory.devserver` (make run) leaves the address out of
werkzeug's lines, and `gunicorn.conf.py` uses an access-log format without address fields.
"""

from __future__ import annotations

import logging

from flask import Flask

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(app: Flask) -> None:
    # A no-op where the host (gunicorn, pytest) already configured the root logger.
    logging.basicConfig(format=LOG_FORMAT, level=logging.WARNING)
    logging.getLogger("advisory").setLevel(logging.INFO)
    app.logger.setLevel(logging.INFO)
