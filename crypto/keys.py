"""X25519 key pairs: generation, text/byte forms and key ids."""

import functools
import hashlib

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from crypto.encoding import b64url_decode_or_none, b64url_encode
from crypto.errors import KeyFormatError

KEY_BYTES = 32
KEY_ID_CHARS = 16
# Curve25519's field prime: a canonical u-coordinate is below it (so its top bit is clear).
FIELD_PRIME = 2**255 - 19


def generate_keypair() -> X25519PrivateKey:
    """A fresh random key pair (the public half is `.public_key()`)."""
    return X25519PrivateKey.generate()


def public_key_bytes(public_key: X25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key (RFC 7748 u-coordinate)."""
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_to_text(public_key: X25519PublicKey) -> str:
    """Base64url (no padding) of the raw public key: 43 characters."""
    return b64url_encode(public_key_bytes(public_key))


def public_key_from_text(text: str) -> X25519PublicKey:
    """Parse `public_key_to_text` output; raises KeyFormatError on anything else.

    Beyond the encoding, the key must be one a browser could have made: a canonical
    u-coordinate, and not a point of small order. Sealing to a small-order point yields an
    all-zero shared secret, so such a key would make every reply to it fail, or be readable
    by anyone; it is refused here, at the door, before it can be stored.
    """
    raw = b64url_decode_or_none(text)
    if raw is None:
        raise KeyFormatError("a public key must be unpadded base64url text")
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(
            f"a public key is {KEY_BYTES} bytes (43 base64url characters); this one is {len(raw)}"
        )
    if int.from_bytes(raw, "little") >= FIELD_PRIME:
        raise KeyFormatError("a public key must be a canonical X25519 u-coordinate")
    public_key = X25519PublicKey.from_public_bytes(raw)
    if is_small_order(public_key):
        raise KeyFormatError("a public key must not be a point of small order")
    return public_key


def is_small_order(public_key: X25519PublicKey) -> bool:
    """Whether `public_key` is a point of small order (order 1, 2, 4 or 8).

    X25519 clamps every private scalar to a multiple of 8, so with any private key such a
    point gives the all-zero shared secret, which OpenSSL refuses; one exchange tells.
    """
    try:
        _probe_key().exchange(public_key)
    except ValueError:
        return True
    return False


@functools.cache
def _probe_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def private_key_to_bytes(private_key: X25519PrivateKey) -> bytes:
    """The 32 raw private key bytes — secret material, wrap before storing."""
    return private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def private_key_from_bytes(raw: bytes) -> X25519PrivateKey:
    """Rebuild a private key from its 32 raw bytes; raises KeyFormatError on a bad length."""
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(f"a private key is {KEY_BYTES} bytes; this one is {len(raw)}")
    return X25519PrivateKey.from_private_bytes(raw)


def key_id_for(public_key: X25519PublicKey) -> str:
    """First 16 lowercase hex chars of SHA-256(raw public key): names the key in envelopes.

    64 bits is plenty to tell a line's handful of keys apart; it is not a security boundary.
    """
    return hashlib.sha256(public_key_bytes(public_key)).hexdigest()[:KEY_ID_CHARS]
