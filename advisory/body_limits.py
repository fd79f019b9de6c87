"""How large a request body each route takes, and a "too large" answer that reaches the browser.

Each endpoint gets the size it needs (ROUTE_LIMITS; any other SMALL_FORM), set on the request
before anything reads the body; Werkzeug then refuses a larger body with 413 before reading it.

Answering at once is not enough. The unread body would still be on its way, and when the
server closes the connection the kernel answers the unread bytes with a reset: a browser that
is still sending then shows a dead connection instead of our page. So the refusal (the 413
page, advisory/security.py) first reads the rest of the body here and throws it away, at most
DRAIN_CAP bytes and DRAIN_SECONDS (a larger or stalled body is left to the server's own close),
keeping on the way the fields it asks for that are small enough. Nothing of a refused request
is stored: no view runs.
"""

from __future__ import annotations

import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Protocol
from urllib.parse import unquote_plus

from flask import Flask, Request, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, ClientDisconnected, HTTPException
from werkzeug.http import parse_options_header
from werkzeug.wsgi import LimitedStream, get_content_length

from advisory.context import current_settings
from advisory.services.attachments import MAX_BATCH_BYTES

KIB = 1024
SMALL_FORM = 32 * KIB  # sign-in, language, case actions, notices: a few short fields
# A password change re-wraps the lawyer's keys in the browser (up to 20 000 characters).
KEY_FORM = 128 * KIB
# A narrative of 20 000 characters is up to 240 KB url-encoded (emoji: 12 bytes each); an
# envelope from the browser up to 120 000 characters. Room for one of each and the rest.
LARGE_FORM = 512 * KIB
# A batch of sealed file chunks (advisory/services/attachments.py: 16 chunks of 64 KiB + tag).
CHUNK_BATCH = MAX_BATCH_BYTES
# A report with evidence posted without JavaScript: the files (as many bytes as the line's
# attachment limits allow, checked again in the service) and the form around them. Parsed in
# memory, never spooled to disk (advisory/uploads.py).
EVIDENCE_ROUTES = frozenset({"reporter.submit_report", "reporter.send_message"})
ROUTE_LIMITS = {
    # The same form, shown in another language: its buttons send it without the files.
    "reporter.report_in_language": LARGE_FORM,
    "reporter.upload_chunks": CHUNK_BATCH,
    # The inbox's forms all come from the same page and script: one budget for all of them.
    "reporter.open_inbox": LARGE_FORM,
    "reporter.cancel": LARGE_FORM,
    "reporter.rebook": LARGE_FORM,
    "reporter.erase": LARGE_FORM,
    "queue.reply": LARGE_FORM,
    "queue.reply_upload_chunks": CHUNK_BATCH,  # a reply's files, sealed in the lawyer's browser
    "queue.submit_phone_intake": LARGE_FORM,
    "queue.submit_voicemail": LARGE_FORM,  # the same note, and a sealed number
    "auth.submit_password": KEY_FORM,
    "auth.submit_welcome": KEY_FORM,
}
# multipart/form-data (the forms posted by our scripts): our largest form has about 25 fields.
MAX_FORM_PARTS = 128

DRAIN_CAP = 32 * KIB * KIB  # read no more of a refused body than this
DRAIN_SECONDS = 30.0  # nor for longer than this
STALL_SECONDS = 10.0  # nor wait longer than this for the next piece of it
_CHUNK = 64 * KIB
_MAX_NAME = 100  # a field name longer than this is none of ours
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


def limit_for(endpoint: str | None) -> int:
    if endpoint in EVIDENCE_ROUTES:
        return current_settings().attachments.max_total_bytes + LARGE_FORM
    return ROUTE_LIMITS.get(endpoint or "", SMALL_FORM)


def register_body_limits(app: Flask) -> None:
    """Per-route body limits; register before anything that reads a form (the CSRF check)."""
    app.config.update(
        MAX_CONTENT_LENGTH=SMALL_FORM,
        MAX_FORM_MEMORY_SIZE=SMALL_FORM,
        MAX_FORM_PARTS=MAX_FORM_PARTS,
    )
    app.before_request(_apply_route_limit)


def _apply_route_limit() -> None:
    limit = limit_for(request.endpoint)
    takes_files = request.endpoint in EVIDENCE_ROUTES and request.mimetype == "multipart/form-data"
    if request.endpoint in EVIDENCE_ROUTES and not takes_files:
        limit = LARGE_FORM  # files come only in a multipart body
    request.max_content_length = limit
    # One multipart field can be as large as the whole body may be: a field too large for
    # its purpose is then refused by the form, with everything else kept.
    request.max_form_memory_size = limit
    environ = request.environ
    unsized = get_content_length(environ) is None and environ.get("wsgi.input_terminated")
    if unsized and request.method not in _BODILESS:  # only these views read a body
        _read_unsized_body(environ, limit)


def _read_unsized_body(environ: dict[str, Any], limit: int) -> None:
    """Read a body sent without a length (in chunks), refusing it past `limit`.

    Werkzeug would read such a form only up to the limit and parse what it got, a form cut
    short without a word (Werkzeug 3.1's LimitedStream.readall stops at a maximum). Read here,
    it is refused as a whole, or handed on with its length as any other body. A chunked
    encoding the server cannot read (a bad chunk size, a missing terminator) is the client's
    error: 400, before any view runs.
    """
    stream = LimitedStream(environ["wsgi.input"], limit, is_max=True)
    data = bytearray()
    try:
        while piece := stream.read(_CHUNK):  # past the limit: RequestEntityTooLarge
            data += piece
    except HTTPException:
        raise
    except Exception as exc:  # the server's own reader refused the encoding
        raise BadRequest("The request body could not be read.") from exc
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input"] = BytesIO(bytes(data))
    environ["CONTENT_LENGTH"] = str(len(data))


# --- reading what is left of a refused body --------------------------------------------------


@dataclass(frozen=True)
class RefusedBody:
    """What could be read of a refused body: fields small enough to keep, and those that were not.

    Only fields whose names were asked for are looked at; both lists name no others.
    """

    fields: MultiDict[str, str]
    dropped: frozenset[str]


NOTHING_KEPT = RefusedBody(MultiDict(), frozenset())


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_refused_body(req: Request, keep: frozenset[str], budget: int) -> RefusedBody:
    """Read the rest of `req`'s body (bounded) and keep the fields named in `keep`.

    Fields are kept in the order they arrive while together they fit in `budget` bytes, so
    the page made from them can be sent again; a field that does not fit is dropped.
    """
    stream, untouched = _unread_rest(req)
    if stream is None:
        return NOTHING_KEPT
    collector = _collector(req, keep, budget) if untouched and keep else None
    _drain(stream, req.environ.get("gunicorn.socket"), collector)
    return collector.result() if collector is not None else NOTHING_KEPT


def _unread_rest(req: Request) -> tuple[_Readable | None, bool]:
    """The unread part of the body, and whether none of it has been read yet."""
    length, limit = req.content_length, req.max_content_length
    if length is not None and limit is not None and length > limit:
        # Refused on its announced length, before a byte was read.
        return (
            LimitedStream(req.environ["wsgi.input"], length) if length <= DRAIN_CAP else None
        ), True
    if length is None:
        # Chunked: only a server that ends the stream itself (gunicorn does) can be read to
        # its end; elsewhere reading could wait forever.
        return (
            req.environ["wsgi.input"] if req.environ.get("wsgi.input_terminated") else None
        ), False
    # Refused while the form was parsed (too many parts): the stream it was reading.
    return req.stream, False


def _drain(stream: _Readable, client_socket: object, collector: _Collector | None) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    read = 0
    with _read_timeout(client_socket, STALL_SECONDS):
        while read < DRAIN_CAP and time.monotonic() < deadline:
            try:
                chunk = stream.read(min(_CHUNK, DRAIN_CAP - read))
            except (OSError, ValueError, ClientDisconnected):  # gone, stalled, or cut short
                return
            if not chunk:
                return
            read += len(chunk)
            if collector is not None:
                collector.feed(chunk)


@contextmanager
def _read_timeout(client_socket: object, seconds: float) -> Iterator[None]:
    """Bound each wait for the client while draining, where the server shares its socket.

    gunicorn hands its client socket to the app as `environ["gunicorn.socket"]`; its workers
    otherwise wait on it without a time limit.
    """
    if not isinstance(client_socket, socket.socket):
        yield
        return
    previous = client_socket.gettimeout()
    client_socket.settimeout(seconds)
    try:
        yield
    finally:
        client_socket.settimeout(previous)


class _Collector(ABC):
    """Keeps the wanted fields of a body fed to it piece by piece, within a byte budget."""

    def __init__(self, keep: frozenset[str], budget: int) -> None:
        self._keep = keep
        self._budget = budget
        self._used = 0
        self._fields: MultiDict[str, str] = MultiDict()
        self._dropped: set[str] = set()

    @abstractmethod
    def feed(self, chunk: bytes) -> None:
        """Take the next piece of the body."""

    @abstractmethod
    def finish(self) -> None:
        """The body has ended (or reading stopped): settle a field still open."""

    def result(self) -> RefusedBody:
        self.finish()
        return RefusedBody(self._fields, frozenset(self._dropped))

    def _settle(self, name: str, value: bytes | None, decode: Callable[[bytes], str]) -> None:
        """A field has ended; `value` is None when it outgrew the budget on the way."""
        if name not in self._keep:
            return
        if value is None or self._used + len(value) > self._budget:
            self._dropped.add(name)
            return
        self._used += len(value)
        self._fields.add(name, decode(value))


class _UrlencodedFields(_Collector):
    """application/x-www-form-urlencoded: `name=value` pairs joined by `&`."""

    def __init__(self, keep: frozenset[str], budget: int) -> None:
        super().__init__(keep, budget)
        self._pair = bytearray()
        # A pair that outgrew the budget: only its name is still read (None: too long a name).
        self._outgrown = False
        self._name: bytearray | None = None
        self._name_read = False

    def feed(self, chunk: bytes) -> None:
        *ended, rest = chunk.split(b"&")
        for piece in ended:
            self._extend(piece)
            self._end_pair()
        self._extend(rest)

    def finish(self) -> None:
        if self._pair or self._outgrown:
            self._end_pair()

    def _extend(self, piece: bytes) -> None:
        if self._outgrown:
            self._read_name(piece)
            return
        self._pair += piece
        if len(self._pair) > self._budget:
            self._outgrown, self._name, self._name_read = True, bytearray(), False
            self._read_name(bytes(self._pair))
            self._pair.clear()

    def _read_name(self, piece: bytes) -> None:
        if self._name is None or self._name_read:
            return
        head, equals, _ = piece.partition(b"=")
        self._name += head
        self._name_read = bool(equals)
        if len(self._name) > _MAX_NAME:
            self._name = None

    def _end_pair(self) -> None:
        if self._outgrown:
            if self._name is not None:
                self._settle(_unquoted(bytes(self._name)), None, _unquoted)
        elif self._pair:
            name, _, value = bytes(self._pair).partition(b"=")
            if len(name) <= _MAX_NAME:
                self._settle(_unquoted(name), value, _unquoted)
        self._pair.clear()
        self._outgrown, self._name = False, None


class _MultipartFields(_Collector):
    """multipart/form-data as browsers send it (RFC 7578), as our scripts post forms.

    A small reader of its own: Werkzeug's incremental decoder can misplace a line break when
    a piece of the body ends between CR and LF, which the pieces read here often do. Anything
    it does not understand ends the reading; files are never kept.
    """

    _MAX_HEADERS = 4 * KIB

    def __init__(self, boundary: bytes, keep: frozenset[str], budget: int) -> None:
        super().__init__(keep, budget)
        self._delimiter = b"\r\n--" + boundary
        # The first delimiter opens the body without a line break before it.
        self._buffer = bytearray(b"\r\n")
        self._state = "preamble"  # then: "delimited", "headers", "data", "done"
        self._name: str | None = None  # the field being read (None: a file, or no field)
        self._value: bytearray | None = None  # None once it outgrew the budget

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk
        while self._step():
            pass

    def finish(self) -> None:
        self._state = "done"  # a field still open at the end of what was read is incomplete

    def _step(self) -> bool:
        """Read what the buffer allows of the current state; False when it needs more."""
        if self._state in ("preamble", "data"):
            return self._to_delimiter()
        if self._state == "delimited":
            if len(self._buffer) < 2:
                return False
            self._state = "done" if self._buffer[:2] == b"--" else "headers"
            return self._state == "headers"
        if self._state == "headers":
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > self._MAX_HEADERS:
                    self._state = "done"
                return False
            self._start_part(bytes(self._buffer[:end]))
            del self._buffer[: end + 4]
            self._state = "data"
            return True
        self._buffer.clear()  # done: the rest is only drained
        return False

    def _to_delimiter(self) -> bool:
        at = self._buffer.find(self._delimiter)
        if at < 0:
            # Keep what could be the start of a delimiter; the rest is data (or preamble).
            safe = len(self._buffer) - len(self._delimiter) + 1
            if safe > 0:
                self._add(self._buffer[:safe])
                del self._buffer[:safe]
            return False
        self._add(self._buffer[:at])
        if self._state == "data" and self._name is not None:
            self._settle(self._name, bytes(self._value) if self._value is not None else None, _text)
        del self._buffer[: at + len(self._delimiter)]
        self._state, self._name, self._value = "delimited", None, None
        return True

    def _start_part(self, headers: bytes) -> None:
        for line in headers.decode("utf-8", "replace").split("\r\n"):
            header, _, value = line.partition(":")
            if header.strip().lower() == "content-disposition":
                _, options = parse_options_header(value)
                if "filename" not in options and options.get("name"):
                    self._name, self._value = options["name"], bytearray()

    def _add(self, data: bytes | bytearray) -> None:
        if self._state != "data" or self._name is None or self._value is None:
            return
        self._value += data
        if len(self._value) > self._budget:
            self._value = None  # outgrown: settled as dropped when the part ends


def _collector(req: Request, keep: frozenset[str], budget: int) -> _Collector | None:
    if req.mimetype == "application/x-www-form-urlencoded":
        return _UrlencodedFields(keep, budget)
    boundary = req.mimetype_params.get("boundary", "")
    if req.mimetype == "multipart/form-data" and boundary:
        return _MultipartFields(boundary.encode("latin-1", "replace"), keep, budget)
    return None


def _unquoted(raw: bytes) -> str:
    return unquote_plus(raw.decode("utf-8", "replace"))


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")
