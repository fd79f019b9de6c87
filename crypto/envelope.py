"""Sealed envelopes: HPKE (RFC 9180) base mode to a line or reporter public key.

Text form: `<version>.<key-id>.<base64url(enc || ciphertext)>`, safe in HTML forms and JSON.
Plaintext is padded first so the length says little about the content.

- `v1` binds the purpose through HPKE `info` (`advisory-line/v1/<purpose>`), so a "message"
  envelope cannot be replayed as a "narrative". Old envelopes keep opening this way.
- `v2` also binds where the envelope belongs: the line, the case reference and the direction
  (`advisory-line/v2/<purpose> 0 <line> 0 <reference> 0 <direction>`), so an envelope moved to
  another case, or a copy passed off as a reply to the reporter, does not open.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from crypto import padding
from crypto.encoding import b64url_decode_or_none, b64url_encode, utf8
from crypto.errors import (
    DecryptionFailed,
    InvalidContext,
    KeyFormatError,
    MalformedEnvelope,
    PlaintextTooLarge,
    UnknownKeyId,
    UnknownPurpose,
)
from crypto.keys import key_id_for

VERSION = "v1"
VERSION_2 = "v2"
VERSIONS = (VERSION, VERSION_2)
PURPOSES = ("narrative", "message", "contact", "reply", "attachment")
INFO_PREFIX = b"advisory-line/v1/"
INFO_PREFIX_V2 = b"advisory-line/v2/"
# Which way each purpose travels: what a reporter writes goes to the line, and its copy to
# the reporter's own key so they can reread it; a reply goes to the reporter, and its copy
# for the case file to the line.
DIRECTIONS_BY_PURPOSE = {
    "narrative": ("reporter-to-line", "reporter-to-reporter"),
    "message": ("reporter-to-line", "reporter-to-reporter"),
    "contact": ("reporter-to-line",),
    "reply": ("line-to-reporter", "line-to-line"),
    # An evidence file's header (its content key, name, type and size): from the reporter to
    # the line, or with a lawyer's reply to the reporter and its copy to the line.
    "attachment": ("reporter-to-line", "line-to-reporter", "line-to-line"),
}
DIRECTIONS = ("reporter-to-line", "reporter-to-reporter", "line-to-reporter", "line-to-line")
MAX_PLAINTEXT_BYTES = 64 * 1024

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
ENC_BYTES = 32  # X25519 encapsulated key
TAG_BYTES = 16  # AES-GCM tag
MIN_PAYLOAD_BYTES = ENC_BYTES + padding.BLOCK_BYTES + TAG_BYTES
MAX_PAYLOAD_BYTES = ENC_BYTES + padding.padded_length(MAX_PLAINTEXT_BYTES) + TAG_BYTES

_KEY_ID = re.compile(r"[0-9a-f]{16}")
_VERSION_LIKE = re.compile(r"v[0-9]{1,3}")
_LINE_SLUG = re.compile(r"[a-z0-9-]{1,40}")
_CASE_REFERENCE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
_V2_NEEDS_CONTEXT = (
    "could not decrypt: a 'v2' envelope opens only with the context it was sealed for"
)


@dataclass(frozen=True)
class EnvelopeContext:
    """Where a v2 envelope belongs: bound into its HPKE info, checked when it is opened."""

    line_slug: str
    case_reference: str
    direction: str

    def __post_init__(self) -> None:
        if not isinstance(self.line_slug, str) or not _LINE_SLUG.fullmatch(self.line_slug):
            raise InvalidContext("a line slug is 1 to 40 characters: a-z, 0-9 and '-'")
        reference = self.case_reference
        if not isinstance(reference, str) or not _CASE_REFERENCE.fullmatch(reference):
            raise InvalidContext(
                "a case reference is two dashed groups of four upper-case Crockford characters"
            )
        if self.direction not in DIRECTIONS:
            raise InvalidContext(f"a direction is one of {', '.join(DIRECTIONS)}")


@dataclass(frozen=True)
class Envelope:
    """A parsed envelope. `payload` is enc || ciphertext (kept out of the repr)."""

    version: str
    key_id: str
    payload: bytes = field(repr=False)

    @property
    def padded_bytes(self) -> int:
        """The size of the padded plaintext inside: how much text it can at most hold."""
        return len(self.payload) - ENC_BYTES - TAG_BYTES


def max_envelope_chars(plaintext_bytes: int) -> int:
    """The length of envelope text that seals `plaintext_bytes` bytes (a bound for forms)."""
    payload = ENC_BYTES + padding.padded_length(plaintext_bytes) + TAG_BYTES
    return len(f"{VERSION}.{'0' * 16}.") + -(-payload * 4 // 3)


# Checked before any decoding so a huge form field costs nothing.
MAX_ENVELOPE_CHARS = max_envelope_chars(MAX_PLAINTEXT_BYTES)


def info_for(purpose: str, context: EnvelopeContext | None = None) -> bytes:
    """HPKE info: `advisory-line/v1/<purpose>` without a context, else the v2 info
    `advisory-line/v2/<purpose> 0 <line slug> 0 <case reference> 0 <direction>`."""
    if purpose not in PURPOSES:
        raise UnknownPurpose(purpose, PURPOSES)
    if context is None:
        return INFO_PREFIX + purpose.encode("ascii")
    if not isinstance(context, EnvelopeContext):
        raise TypeError(f"context must be an EnvelopeContext, not {type(context).__name__}")
    if context.direction not in DIRECTIONS_BY_PURPOSE[purpose]:
        raise InvalidContext(
            f"a {purpose} travels {' or '.join(DIRECTIONS_BY_PURPOSE[purpose])},"
            f" not {context.direction}"
        )
    fields = (purpose, context.line_slug, context.case_reference, context.direction)
    return INFO_PREFIX_V2 + b"\0".join(part.encode("ascii") for part in fields)


def seal(
    purpose: str,
    plaintext: bytes | str,
    public_key: X25519PublicKey,
    context: EnvelopeContext | None = None,
) -> str:
    """Pad and encrypt plaintext (str is UTF-8 encoded) to a public key; returns envelope text.

    With a context the envelope is `v2`, bound to that line, case and direction; without
    one it is `v1`, as before.
    """
    info = info_for(purpose, context)
    if isinstance(plaintext, str):
        data = utf8(plaintext, "plaintext")
    elif isinstance(plaintext, bytes | bytearray | memoryview):
        data = bytes(plaintext)
    else:  # bytes(5) would quietly seal five zero bytes
        raise TypeError(f"plaintext must be bytes or str, not {type(plaintext).__name__}")
    if len(data) > MAX_PLAINTEXT_BYTES:
        raise PlaintextTooLarge(
            f"plaintext is {len(data)} bytes; the maximum is {MAX_PLAINTEXT_BYTES} bytes"
        )
    try:
        payload = _SUITE.encrypt(padding.pad(data), public_key, info=info)
    except ValueError:
        # OpenSSL refuses low-order points (all-zero shared secret).
        raise KeyFormatError("cannot seal to this public key: not a usable X25519 key") from None
    version = VERSION if context is None else VERSION_2
    return f"{version}.{key_id_for(public_key)}.{b64url_encode(payload)}"


def parse_envelope(envelope: str) -> Envelope:
    """Split and check envelope text without decrypting; raises MalformedEnvelope."""
    if not isinstance(envelope, str):
        raise MalformedEnvelope("an envelope must be text")
    if len(envelope) > MAX_ENVELOPE_CHARS:
        raise MalformedEnvelope(
            f"envelope is {len(envelope)} characters; the maximum is {MAX_ENVELOPE_CHARS}"
        )
    parts = envelope.split(".")
    if len(parts) != 3:
        raise MalformedEnvelope("an envelope has three dot-separated parts: v1.<key-id>.<payload>")
    version, key_id, payload_text = parts
    if version not in VERSIONS:
        if _VERSION_LIKE.fullmatch(version):
            raise MalformedEnvelope(
                f"unsupported envelope version {version!r}; expected 'v1' or 'v2'"
            )
        raise MalformedEnvelope("an envelope must start with 'v1.' or 'v2.'")
    if not _KEY_ID.fullmatch(key_id):
        raise MalformedEnvelope("an envelope key id is 16 lowercase hex characters")
    payload = b64url_decode_or_none(payload_text)
    if payload is None:
        raise MalformedEnvelope("envelope payload is not unpadded base64url")
    if len(payload) < MIN_PAYLOAD_BYTES:
        raise MalformedEnvelope(
            f"envelope payload is {len(payload)} bytes; the minimum is {MIN_PAYLOAD_BYTES}"
        )
    if (len(payload) - ENC_BYTES - TAG_BYTES) % padding.BLOCK_BYTES:
        raise MalformedEnvelope("envelope payload is not a whole number of padding blocks")
    return Envelope(version=version, key_id=key_id, payload=payload)


def envelope_key_id(envelope: str) -> str:
    """The key id an envelope was sealed to (to pick, or report, the key needed)."""
    return parse_envelope(envelope).key_id


def open_envelope(
    purpose: str,
    envelope: str,
    private_keys: Mapping[str, X25519PrivateKey] | X25519PrivateKey,
    context: EnvelopeContext | None = None,
) -> bytes:
    """Decrypt envelope text sealed for `purpose`; returns the unpadded plaintext bytes.

    `private_keys` maps key id -> private key (so rotated keys stay readable), or is a single
    key, which must match the envelope's key id. A `v2` envelope opens only with the context
    it was sealed for (DecryptionFailed otherwise); a `v1` envelope opens as it always has,
    whatever context is passed.
    """
    info = info_for(purpose)
    parsed = parse_envelope(envelope)
    if parsed.version == VERSION_2:
        if context is None:
            raise DecryptionFailed(_V2_NEEDS_CONTEXT)
        info = info_for(purpose, context)
    private_key = _select_key(parsed.key_id, private_keys)
    try:
        padded = _SUITE.decrypt(parsed.payload, private_key, info=info)
    except (InvalidTag, ValueError):
        raise DecryptionFailed() from None
    return padding.unpad(padded)


def _select_key(
    key_id: str, private_keys: Mapping[str, X25519PrivateKey] | X25519PrivateKey
) -> X25519PrivateKey:
    if isinstance(private_keys, X25519PrivateKey):
        if key_id_for(private_keys.public_key()) != key_id:
            raise UnknownKeyId(key_id)
        return private_keys
    found = private_keys.get(key_id)
    if found is None:
        raise UnknownKeyId(key_id)
    return found
