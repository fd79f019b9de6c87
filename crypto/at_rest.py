"""Server-side secrets at rest (e.g. staff TOTP secrets) and per-use subkeys.

Text form `r1.<base64url(nonce || ciphertext)>`; AES-256-GCM with the purpose bound as
associated data, so a value stored for one purpose cannot be passed off as another.
"""

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.encoding import b64url_decode, b64url_encode, utf8
from crypto.errors import DecryptionFailed, KeyFormatError

AT_REST_PREFIX = "r1."
AT_REST_AAD_PREFIX = b"advisory-line/v1/at-rest/"
SUBKEY_INFO_PREFIX = b"advisory-line/v1/subkey/"
KEY_BYTES = 32
MIN_MASTER_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


def encrypt_at_rest(key: bytes, plaintext: bytes, purpose: str) -> str:
    """Encrypt under a 32-byte key for one purpose; returns `r1.` text for a database column."""
    aead = AESGCM(_check_key(key))
    nonce = os.urandom(NONCE_BYTES)  # random 96-bit nonces: fine for this low volume
    ciphertext = aead.encrypt(nonce, plaintext, _aad(purpose))
    return AT_REST_PREFIX + b64url_encode(nonce + ciphertext)


def decrypt_at_rest(key: bytes, text: str, purpose: str) -> bytes:
    """Decrypt `encrypt_at_rest` output; DecryptionFailed on any bad input, key or purpose."""
    aead = AESGCM(_check_key(key))
    aad = _aad(purpose)
    if not isinstance(text, str) or not text.startswith(AT_REST_PREFIX):
        raise DecryptionFailed("could not decrypt: not an 'r1.' at-rest value")
    try:
        data = b64url_decode(text[len(AT_REST_PREFIX) :])
    except ValueError:
        raise DecryptionFailed("could not decrypt: at-rest value is not base64url") from None
    if len(data) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionFailed("could not decrypt: at-rest value is too short")
    try:
        return aead.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionFailed() from None


def derive_subkey(master: bytes, label: str) -> bytes:
    """A 32-byte key for one use (`label`) from the instance secret, via HKDF-SHA256."""
    if len(master) < MIN_MASTER_BYTES:
        raise KeyFormatError(
            f"the master secret must be at least {MIN_MASTER_BYTES} bytes; "
            f"this one is {len(master)}"
        )
    if not label:
        raise ValueError("a subkey label must not be empty")
    info = SUBKEY_INFO_PREFIX + utf8(label, "the subkey label")
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(master)


def _check_key(key: bytes) -> bytes:
    if len(key) != KEY_BYTES:
        raise KeyFormatError(f"an at-rest key must be {KEY_BYTES} bytes; this one is {len(key)}")
    return bytes(key)


def _aad(purpose: str) -> bytes:
    if not purpose:
        raise ValueError("an at-rest purpose must not be empty")
    return AT_REST_AAD_PREFIX + utf8(purpose, "the at-rest purpose")
