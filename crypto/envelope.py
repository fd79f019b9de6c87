"""Sealed envelopes: HPKE (RFC 9180) base mode to a line or reporter public key.

Text form: `v1.<key-id>.<base64url(enc || ciphertext)>`, safe in HTML forms and JSON.
The purpose is bound through HPKE `info`, so a "message" envelope cannot be replayed
as a "narrative"; plaintext is padded first so the length says little about the content.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from crypto import padding
from crypto.encoding import b64url_decode, b64url_encode, utf8
from crypto.errors import (
    DecryptionFailed,
    KeyFormatError,
    MalformedEnvelope,
    PlaintextTooLarge,
    UnknownKeyId,
    UnknownPurpose,
)
from crypto.keys import key_id_for

VERSION = "v1"
PURPOSES = ("narrative", "message", "contact", "reply")
INFO_PREFIX = b"advisory-line/v1/"
MAX_PLAINTEXT_BYTES = 64 * 1024

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
ENC_BYTES = 32  # X25519 encapsulated key
TAG_BYTES = 16  # AES-GCM tag
MIN_PAYLOAD_BYTES = ENC_BYTES + padding.BLOCK_BYTES + TAG_BYTES
MAX_PAYLOAD_BYTES = ENC_BYTES + padding.padded_length(MAX_PLAINTEXT_BYTES) + TAG_BYTES

_KEY_ID = re.compile(r"[0-9a-f]{16}")
_VERSION_LIKE = re.compile(r"v[0-9]{1,3}")


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


def info_for(purpose: str) -> bytes:
    """HPKE info for a purpose: `advisory-line/v1/<purpose>`."""
    if purpose not in PURPOSES:
        raise UnknownPurpose(purpose, PURPOSES)
    return INFO_PREFIX + purpose.encode("ascii")


def seal(purpose: str, plaintext: bytes | str, public_key: X25519PublicKey) -> str:
    """Pad and encrypt plaintext (str is UTF-8 encoded) to a public key; returns envelope text."""
    info = info_for(purpose)
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
    return f"{VERSION}.{key_id_for(public_key)}.{b64url_encode(payload)}"


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
    if version != VERSION:
        if _VERSION_LIKE.fullmatch(version):
            raise MalformedEnvelope(f"unsupported envelope version {version!r}; expected 'v1'")
        raise MalformedEnvelope("an envelope must start with 'v1.'")
    if not _KEY_ID.fullmatch(key_id):
        raise MalformedEnvelope("an envelope key id is 16 lowercase hex characters")
    try:
        payload = b64url_decode(payload_text)
    except ValueError:
        raise MalformedEnvelope("envelope payload is not unpadded base64url") from None
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
) -> bytes:
    """Decrypt envelope text sealed for `purpose`; returns the unpadded plaintext bytes.

    `private_keys` maps key id -> private key (so rotated keys stay readable), or is a single
    key, which must match the envelope's key id.
    """
    info = info_for(purpose)
    parsed = parse_envelope(envelope)
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
