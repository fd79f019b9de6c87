"""X25519 key pairs: generation, text/byte forms and key ids."""

import hashlib

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from crypto.encoding import b64url_decode, b64url_encode
from crypto.errors import KeyFormatError

KEY_BYTES = 32
KEY_ID_CHARS = 16


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
    """Parse `public_key_to_text` output; raises KeyFormatError on anything else."""
    try:
        raw = b64url_decode(text)
    except ValueError:
        raise KeyFormatError("a public key must be unpadded base64url text") from None
    if len(raw) != KEY_BYTES:
        raise KeyFormatError(
            f"a public key is {KEY_BYTES} bytes (43 base64url characters); this one is {len(raw)}"
        )
    return X25519PublicKey.from_public_bytes(raw)


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
