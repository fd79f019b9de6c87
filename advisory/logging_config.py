"""Logging that never writes a client's address, a user agent, or stored data.

The app logs no request metadata at all. Access logs are produced by the servers, and each
is configured next to it: `advisory.devserver` (make run) leaves the address out of
werkzeug's lines, and `gunicorn.conf.py` uses an access-log format without address fields.

Exception messages are withheld from every log record: a database error can quote the row it
failed on (PostgreSQL's "Failing row contains (...)"), and that row can hold envelopes. The
exception's type and the traceback's code locations are kept, which is what debugging needs.

ADVISORY_LOG_FORMAT=json writes each record as one JSON object a line (`JsonFormatter`): the
time, level, logger and message, and the redacted traceback when there is one. The same fields
as the text format, nothing more; gunicorn's own lines follow it (`gunicorn_logging.py`).
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from flask import Flask

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
WITHHELD = "(exception message withheld: it may quote stored data)"


def configure_logging(app: Flask) -> None:
    # Nothing is added where the host (gunicorn, pytest) already configured the root logger.
    handler = logging.StreamHandler()
    handler.setFormatter(formatter_for(app.extensions["advisory_settings"].log_format))
    logging.basicConfig(handlers=[handler], level=logging.WARNING)
    logging.getLogger("advisory").setLevel(logging.INFO)
    app.logger.setLevel(logging.INFO)
    install_exception_redaction()


def install_exception_redaction() -> None:
    """Wrap the log-record factory once per process so every handler sees redacted records."""
    current = logging.getLogRecordFactory()
    if getattr(current, "redacts_exceptions", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = redacted_exception(*record.exc_info)
            record.exc_info = None
        return record

    factory.redacts_exceptions = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def redacted_exception(
    kind: type[BaseException] | None,
    value: BaseException | None,
    tb: TracebackType | None,
) -> str:
    """A traceback with code locations and exception types, but no exception messages."""
    lines = ["Traceback (most recent call last):\n", *traceback.format_tb(tb)]
    name = f"{kind.__module__}.{kind.__qualname__}" if kind else "unknown"
    lines.append(f"{name}: {WITHHELD}")
    cause = value.__cause__ or value.__context__ if value else None
    if cause is not None:
        lines.append(f"\n(caused by {type(cause).__module__}.{type(cause).__qualname__})")
    return "".join(lines)


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter of ADVISORY_LOG_FORMAT: "text" (LOG_FORMAT) or "json" (`JsonFormatter`)."""
    return JsonFormatter() if log_format == "json" else logging.Formatter(LOG_FORMAT)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and `exception`
    (the traceback, its message withheld) when the record has one. No request metadata: the
    fields are the record's own, as in the text format."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            # Made without the redacting record factory (before the app was set up).
            record.exc_text = redacted_exception(*record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)
