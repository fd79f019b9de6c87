"""gunicorn's own log lines, without any client address (DESIGN.md invariant 2).

gunicorn names the client in some of its error-log lines ("Invalid request from ip=...", a
refused PROXY line, messages of socket errors) and offers its address, user agent and request
headers to the access-log format. `AnonymousLogger` (gunicorn.conf.py's `logger_class`) hides
every IP address in every line it writes, tracebacks included, and gives the access-log
format nothing that could name the client. Only gunicorn's lines about the addresses it
listens on keep them: those are the server's own.

With ADVISORY_LOG_FORMAT=json its lines are JSON objects, as the app's are
(`advisory.logging_config.JsonFormatter`); an access line's message is the access-log format.

Written against gunicorn 27's `gunicorn.glogging.Logger`, through its documented extension
points: a `logger_class`, its `setup()` and `atoms()`.
"""

from __future__ import annotations

import ipaddress
import logging
import logging.handlers
import os
import re
from typing import Any

from gunicorn.glogging import Logger

from advisory.logging_config import JsonFormatter, install_exception_redaction, redacted_exception
from advisory.settings import log_format_from

HIDDEN = "<address>"
# gunicorn's messages about the addresses it binds to (the server's, never a client's).
SERVER_ADDRESS_MESSAGES = frozenset(
    {
        "Listening at: %s (%s)",
        "Listening at: %s",
        "Connection in use: %s",
        "Invalid address: %s",
        "Can't connect to %s",
    }
)
# Access-log atoms that describe the client: address, user, referrer, user agent.
CLIENT_ATOMS = ("h", "l", "u", "f", "a")

# IPv4, with a port if one follows; not a part of a longer dotted number.
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)(?::\d{1,5})?")
# Anything that may be IPv6 (two colons or more); ipaddress decides. In brackets with a port too.
_IPV6_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.]+)(?:%[\w.-]+)?\](?::\d{1,5})?")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")


def hide_addresses(text: str) -> str:
    """`text` with every IPv4 and IPv6 address (and a port after one) replaced by HIDDEN."""
    text = _IPV6_BRACKETED.sub(lambda m: HIDDEN if _is_ipv6(m.group(1)) else m.group(0), text)
    text = _IPV6_CANDIDATE.sub(_hide_ipv6, text)
    return _IPV4.sub(HIDDEN, text)


def _hide_ipv6(match: re.Match[str]) -> str:
    candidate = match.group(0)
    address = candidate.rstrip(".:")  # the end of a sentence, or of "from ...:"
    return HIDDEN + candidate[len(address) :] if _is_ipv6(address) else candidate


def _is_ipv6(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


class HideAddresses(logging.Filter):
    """Rewrites a record so that neither its message nor its traceback holds an address."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg in SERVER_ADDRESS_MESSAGES:
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # a broken format: keep only its text
            message = str(record.msg)
        record.msg, record.args = hide_addresses(message), ()
        if record.exc_info and not record.exc_text:
            # The message withheld, as the app's records have it (logging_config.py).
            record.exc_text = redacted_exception(*record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = hide_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = hide_addresses(record.stack_info)
        return True


class AnonymousLogger(Logger):
    """gunicorn's logger, with no client address in the error log or the access log."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # The master and a worker not yet running the app log too: no exception messages.
        install_exception_redaction()
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, HideAddresses) for f in log.filters):
                log.addFilter(HideAddresses())
        if log_format_from(os.environ) == "json":
            for handler in (*self.error_log.handlers, *self.access_log.handlers):
                if not isinstance(handler, logging.handlers.SysLogHandler):
                    handler.setFormatter(JsonFormatter())

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        """The access-log atoms without the client's: no request headers ({...}i) and no
        environ values ({...}e), where its address and user agent are."""
        atoms = super().atoms(resp, req, environ, request_time)
        kept = {key: value for key, value in atoms.items() if not key.endswith(("}i", "}e"))}
        kept.update(dict.fromkeys(CLIENT_ATOMS, "-"))
        return kept
