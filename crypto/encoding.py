"""Strict text encodings shared by the envelope, key and wrapping formats."""

import base64
import re
from collections.abc import Mapping
from typing import Any

from crypto.errors import KeyFormatError

_B64URL_CHARS = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding: safe in URLs, HTML forms and JSON, same as the browser side."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url, refusing anything but its one canonical spelling.

    The standard library silently skips stray characters; we refuse them (and non-zero trailing
    bits) so that each byte string has exactly one text form.
    """
    if not _B64URL_CHARS.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url text")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url_encode(data) != text:
        raise ValueError("not canonical base64url text")
    return data


def b64url_decode_or_none(value: object) -> bytes | None:
    """`value` decoded if it is unpadded base64url text; None for anything else, so callers
    raise the error their format names."""
    if not isinstance(value, str):
        return None
    try:
        return b64url_decode(value)
    except ValueError:
        return None


def utf8(text: str, what: str) -> bytes:
    """Encode text as UTF-8 with an error that does not carry the text itself.

    UnicodeEncodeError keeps the whole string in `.object`; we must not let it reach a log.
    """
    try:
        data: bytes | None = text.encode("utf-8")
    except UnicodeEncodeError:
        data = None
    if data is None:  # raised outside the except block so no context chains back to the text
        raise ValueError(f"{what} is not valid text (it contains unpaired surrogates)")
    return data


def b64url_field(fields: Mapping[str, Any], name: str, size: int, what: str) -> bytes:
    """A JSON blob's field that must be exactly `size` bytes of base64url; `what` names the
    blob in the KeyFormatError (the browser's modules say the same)."""
    raw = b64url_decode_or_none(fields[name])
    if raw is None or len(raw) != size:
        raise KeyFormatError(f"{what} field {name!r} must be {size} bytes of base64url")
    return raw
