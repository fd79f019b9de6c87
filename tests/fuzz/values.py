"""What a fuzzed request is made of, and how it becomes bytes on the wire.

A drawn request holds plain text where it can, and small placeholders where a value depends
on the seeded world (a CSRF token, a sealed envelope, a case reference) or would be too long
to print (17 000 emoji). So Hypothesis shows a failing request short and readable, and the
same request can be sent again against another world (the other database).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, quote_plus

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

import crypto
from crypto.encoding import b64url_encode


class Resolver(Protocol):
    """What placeholders are filled from: the seeded world."""

    def ref(self, name: str) -> str: ...

    def public_key(self, holder: str) -> X25519PublicKey: ...

    def key_id(self, holder: str) -> str: ...


@dataclass(frozen=True)
class Ref:
    """A value of the seeded world by name: `Ref("csrf")`, `Ref("case_a")`."""

    name: str

    def __repr__(self) -> str:
        return f"<{self.name}>"


@dataclass(frozen=True)
class Repeat:
    """`unit` written `count` times: a long value with a short name."""

    unit: str
    count: int

    def __repr__(self) -> str:
        return f"{self.unit!r}*{self.count}"


@dataclass(frozen=True)
class Raw:
    """Bytes sent as they are: invalid UTF-8 that no text value can carry."""

    data: bytes


@dataclass(frozen=True)
class Sealed:
    """A real envelope, sealed now with crypto.seal to the key of `to` ("line", "other_line",
    "reporter_a"): well-formed, and right or wrong only in where or what it was sealed for."""

    purpose: str
    to: str
    text: str = "fuzz"


@dataclass(frozen=True)
class ForgedEnvelope:
    """`v1.<key id of holder>.<payload of n bytes>`: looks like an envelope, is none."""

    holder: str  # "line", "other_line", "unknown"
    payload_bytes: int
    fill: int = 0


@dataclass(frozen=True)
class Around:
    """A value with text before and after it: a real envelope with a space, a dot, padding."""

    before: str
    value: Value
    after: str


@dataclass(frozen=True)
class OutcomeName:
    """The callback outcome field's name, which carries the callback id of the path."""

    callback_id: Value

    def __repr__(self) -> str:
        return f"callback-{self.callback_id!r}-outcome"


Value = str | Ref | Repeat | Raw | Sealed | ForgedEnvelope | Around | OutcomeName


@dataclass(frozen=True)
class FilePart:
    """A file in a multipart body, where the form expects text."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class Body:
    fields: tuple[tuple[Value, Value | FilePart], ...]
    multipart: bool = False


@dataclass(frozen=True)
class FuzzRequest:
    """One request: who sends it, where, and what."""

    role: str
    method: str
    path: tuple[Value, ...]  # segments; each is percent-encoded whole
    query: tuple[tuple[Value, Value], ...] = ()
    body: Body | None = None


def resolve(value: Value, world: Resolver) -> str | bytes:
    """The text (or raw bytes) a placeholder stands for in `world`."""
    if isinstance(value, str):
        return value
    if isinstance(value, Ref):
        return world.ref(value.name)
    if isinstance(value, Repeat):
        return value.unit * value.count
    if isinstance(value, Raw):
        return value.data
    if isinstance(value, Sealed):
        # Bound to some case of the line, as a page seals it: the server cannot tell which.
        direction = "line-to-reporter" if value.purpose == "reply" else "reporter-to-line"
        where = crypto.EnvelopeContext("main", "AAAA-AAAA", direction)
        return crypto.seal(value.purpose, value.text, world.public_key(value.to), where)
    if isinstance(value, ForgedEnvelope):
        payload = bytes([value.fill]) * value.payload_bytes
        return f"v1.{world.key_id(value.holder)}.{b64url_encode(payload)}"
    if isinstance(value, Around):
        inner = resolve(value.value, world)
        if isinstance(inner, bytes):
            return value.before.encode() + inner + value.after.encode()
        return value.before + inner + value.after
    inner_id = resolve(value.callback_id, world)
    return f"callback-{_text(inner_id)}-outcome"


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def as_bytes(value: str | bytes) -> bytes:
    """UTF-8, with lone surrogates written as their (invalid) three-byte form.

    That is as far as a form can carry a lone surrogate: a browser would send U+FFFD, an
    attacker sends the bytes.
    """
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def url_path(segments: Iterable[str | bytes]) -> str:
    return "/" + "/".join(quote(as_bytes(segment), safe="") for segment in segments)


def urlencoded(pairs: Iterable[tuple[str | bytes, str | bytes]]) -> bytes:
    """An application/x-www-form-urlencoded body (or query string), repeated names kept."""
    return "&".join(
        f"{quote_plus(as_bytes(name))}={quote_plus(as_bytes(value))}" for name, value in pairs
    ).encode("ascii")


MULTIPART_BOUNDARY = "advisory-fuzz-boundary-5c1e0b7d"


def multipart(pairs: Iterable[tuple[str | bytes, str | bytes | FilePart]]) -> bytes:
    """A multipart/form-data body; a FilePart becomes a file upload."""
    chunks: list[bytes] = []
    for name, value in pairs:
        disposition = b'Content-Disposition: form-data; name="' + as_bytes(name) + b'"'
        if isinstance(value, FilePart):
            disposition += b'; filename="' + as_bytes(value.filename) + b'"'
            headers = disposition + b"\r\nContent-Type: " + value.content_type.encode()
            content = value.content
        else:
            headers, content = disposition, as_bytes(value)
        chunks.append(b"--" + MULTIPART_BOUNDARY.encode() + b"\r\n" + headers + b"\r\n\r\n")
        chunks.append(content + b"\r\n")
    chunks.append(b"--" + MULTIPART_BOUNDARY.encode() + b"--\r\n")
    return b"".join(chunks)
