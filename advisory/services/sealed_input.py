"""Sealed input from browsers, checked at the door before anything is stored.

A browser sends envelopes (text sealed to a public key), a case code's lookup token and a
reply public key. The server cannot read an envelope, but it can tell one that no page of
ours could have made: it does not parse, it is larger than its purpose allows, or it is
sealed to a key this server does not know or to another line's key. Each is refused with a
reason the page words for the reader; a refused value is never stored, so no stored row can
later break a lawyer's page.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from advisory.models import LineKey
from advisory.text_limits import SEALED_TEXT_BYTES
from crypto import padding
from crypto.encoding import b64url_decode

LOOKUP_TOKEN_BYTES = 32
ACCEPTED_VERSION = "v2"


class SealedProblem(StrEnum):
    """Why sealed input was refused; the pages word it in the reader's language."""

    DAMAGED = "damaged"  # an envelope does not parse
    TOO_LARGE = "too_large"  # an envelope holds more than its purpose allows
    UNKNOWN_KEY = "unknown_key"  # sealed to a key this server does not know
    OTHER_LINE = "other_line"  # sealed to a key of another line
    BAD_KEY = "bad_key"  # a public key that is not a usable X25519 key
    BAD_TOKEN = "bad_token"  # noqa: S105 - a reason, not a secret: a malformed lookup token


class SealedInputRefused(ValueError):
    def __init__(self, problem: SealedProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def checked_envelope(envelope: str, purpose: str) -> crypto.Envelope:
    """Parse `envelope` and check its size against the largest text of `purpose`."""
    try:
        parsed = crypto.parse_envelope(envelope)
    except crypto.CryptoError:
        raise SealedInputRefused(SealedProblem.DAMAGED) from None
    # Every page seals v2, bound to its line, case and direction; nothing new is stored as
    # v1 (which old rows keep, and which still opens). The binding itself is checked by
    # whoever opens the envelope: the server cannot open it.
    if parsed.version != ACCEPTED_VERSION:
        raise SealedInputRefused(SealedProblem.DAMAGED)
    if parsed.padded_bytes > padding.padded_length(SEALED_TEXT_BYTES[purpose]):
        raise SealedInputRefused(SealedProblem.TOO_LARGE)
    return parsed


def checked_public_key(text: str) -> str:
    """A reporter's reply key as the browser sent it, if it is a usable X25519 key."""
    try:
        crypto.public_key_from_text(text)
    except crypto.KeyFormatError:
        raise SealedInputRefused(SealedProblem.BAD_KEY) from None
    return text


def checked_lookup_token(text: str) -> bytes:
    """The 32-byte lookup token a browser derived from a case code."""
    try:
        token = b64url_decode(text)
    except ValueError:
        raise SealedInputRefused(SealedProblem.BAD_TOKEN) from None
    if len(token) != LOOKUP_TOKEN_BYTES:
        raise SealedInputRefused(SealedProblem.BAD_TOKEN)
    return token


def sealed_to(envelope: str, purpose: str, public_key: X25519PublicKey) -> str:
    """An envelope that must be sealed to this one public key (a reply to the reporter)."""
    _checked_to(envelope, purpose, public_key)
    return envelope


def _checked_to(envelope: str, purpose: str, public_key: X25519PublicKey) -> crypto.Envelope:
    parsed = checked_envelope(envelope, purpose)
    if parsed.key_id != crypto.key_id_for(public_key):
        raise SealedInputRefused(SealedProblem.UNKNOWN_KEY)
    return parsed


def reporter_copy(
    copy: str | None, original: str | None, purpose: str, reporter_key: str
) -> str | None:
    """The reporter's own copy of `original`, as their browser sealed it: to their reply key,
    and exactly as long as the text the line gets (the same text seals to the same size).

    None when the browser sent no copy (a page loaded before copies were made)."""
    if not copy:
        return None
    if not original:  # a copy of nothing
        raise SealedInputRefused(SealedProblem.DAMAGED)
    parsed = _checked_to(copy, purpose, crypto.public_key_from_text(reporter_key))
    if parsed.padded_bytes != crypto.parse_envelope(original).padded_bytes:
        raise SealedInputRefused(SealedProblem.DAMAGED)
    return copy


class KeyDirectory:
    """Which line each line key belongs to, by key id, remembered for the life of the process.

    What it remembers cannot go stale: a key id is derived from the public key, a key never
    moves to another line, and keys are retired, never deleted. So a browser-sealed text
    costs no key look-up once its key has been seen. Whether a key is still the active one
    does not matter: a page loaded before a rotation seals to the retired key, which the
    line's lawyers can still open.
    """

    def __init__(self) -> None:
        self._lines: dict[str, int] = {}

    def line_of(self, session: Session, key_id: str) -> int | None:
        line_id = self._lines.get(key_id)
        if line_id is None:
            line_id = line_of_key(session, key_id)
            if line_id is not None:
                self._lines[key_id] = line_id
        return line_id

    def sealed_for_line(self, session: Session, envelope: str, purpose: str, line_id: int) -> str:
        """An envelope that must be sealed to one of the keys of line `line_id`."""
        return sealed_for_line(
            envelope, purpose, line_id, lambda key_id: self.line_of(session, key_id)
        )


def line_of_key(session: Session, key_id: str) -> int | None:
    """The line a key belongs to, looked up; None for a key this server does not know."""
    return session.scalar(select(LineKey.line_id).where(LineKey.key_id == key_id))


def sealed_for_line(
    envelope: str, purpose: str, line_id: int, line_of: Callable[[str], int | None]
) -> str:
    """An envelope that must be sealed to one of the keys of line `line_id`; `line_of` names
    the line of a key id (None: unknown), looked up or remembered."""
    parsed = checked_envelope(envelope, purpose)
    owner = line_of(parsed.key_id)
    if owner is None:
        raise SealedInputRefused(SealedProblem.UNKNOWN_KEY)
    if owner != line_id:
        raise SealedInputRefused(SealedProblem.OTHER_LINE)
    return envelope
