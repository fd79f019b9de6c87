"""Private keys wrapped under a passphrase, in a form the browser can unwrap with WebCrypto.

PBKDF2-HMAC-SHA256 (random 16-byte salt) derives an AES-256-GCM key; the 32 raw private key
bytes are encrypted with a random 12-byte nonce and a fixed associated data string. The blob is
compact JSON: {"v":1,"kdf":"pbkdf2-sha256","iterations":N,"salt":..,"nonce":..,"ciphertext":..}
with base64url (no padding) fields. The passphrase is NFC-normalised, then UTF-8 encoded.
"""

import json
import os
import unicodedata
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from crypto import crockford
from crypto.encoding import b64url_encode, b64url_field, utf8
from crypto.errors import InvalidRecoveryPassphrase, KeyFormatError, WrongPassphrase
from crypto.keys import KEY_BYTES, private_key_from_bytes, private_key_to_bytes

PBKDF2_ITERATIONS = 600_000
MIN_ITERATIONS_ALLOWED = 600_000
# Blobs come from our own database, but cap the cost an altered blob could impose.
MAX_ITERATIONS_ACCEPTED = 10_000_000
WRAPPED_KEY_AAD = b"advisory-line/v1/wrapped-key"
BLOB_VERSION = 1
KDF_NAME = "pbkdf2-sha256"
SALT_BYTES = 16
NONCE_BYTES = 12
_CIPHERTEXT_BYTES = KEY_BYTES + 16  # key + GCM tag
RECOVERY_PASSPHRASE_CHARS = 32


def wrap_private_key(
    private_key: X25519PrivateKey,
    passphrase: str,
    *,
    iterations: int = PBKDF2_ITERATIONS,
    allow_weak_for_tests: bool = False,
) -> str:
    """Encrypt the raw private key under the passphrase; returns the JSON blob text."""
    if iterations < MIN_ITERATIONS_ALLOWED and not allow_weak_for_tests:
        raise ValueError(
            f"{iterations} PBKDF2 iterations is too few; the minimum is {MIN_ITERATIONS_ALLOWED}"
        )
    if not 1 <= iterations <= MAX_ITERATIONS_ACCEPTED:
        raise ValueError(f"PBKDF2 iterations must be between 1 and {MAX_ITERATIONS_ACCEPTED}")
    if not passphrase:
        raise ValueError("the passphrase must not be empty")
    salt = os.urandom(SALT_BYTES)
    nonce = os.urandom(NONCE_BYTES)
    aead = AESGCM(_derive_key(passphrase, salt, iterations))
    ciphertext = aead.encrypt(nonce, private_key_to_bytes(private_key), WRAPPED_KEY_AAD)
    blob = {
        "v": BLOB_VERSION,
        "kdf": KDF_NAME,
        "iterations": iterations,
        "salt": b64url_encode(salt),
        "nonce": b64url_encode(nonce),
        "ciphertext": b64url_encode(ciphertext),
    }
    return json.dumps(blob, separators=(",", ":"))


def unwrap_private_key(blob: str, passphrase: str) -> X25519PrivateKey:
    """Decrypt a `wrap_private_key` blob; WrongPassphrase on a wrong passphrase or tampering."""
    iterations, salt, nonce, ciphertext = _parse_blob(blob)
    key = _derive_key(passphrase, salt, iterations)
    return decrypt_private_key(key, nonce, ciphertext, WRAPPED_KEY_AAD)


def decrypt_private_key(
    key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes
) -> X25519PrivateKey:
    """Open a private key wrapped with AES-256-GCM; WrongPassphrase when it does not
    authenticate (a wrong key, other associated data or an altered blob look the same)."""
    try:
        raw = AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise WrongPassphrase() from None
    return private_key_from_bytes(raw)


def wrapped_key_iterations(blob: str) -> int:
    """The PBKDF2 iteration count of a well-formed blob; KeyFormatError for anything else."""
    return _parse_blob(blob)[0]


def generate_recovery_passphrase() -> str:
    """160 random bits as 32 Crockford base32 characters in 8 dashed groups of four."""
    return crockford.group(crockford.random_chars(RECOVERY_PASSPHRASE_CHARS))


def normalise_recovery_passphrase(typed: str) -> str:
    """Canonical dashed form of a typed recovery passphrase, read like a case code.

    Wrap and unwrap use the passphrase exactly as given, so pass the recovery passphrase
    through this function both when wrapping and when unwrapping.
    """
    try:
        chars = crockford.normalise(
            typed, length=RECOVERY_PASSPHRASE_CHARS, noun="A recovery passphrase"
        )
    except ValueError as exc:
        raise InvalidRecoveryPassphrase(str(exc)) from None
    return crockford.group(chars)


def _derive_key(passphrase: str, salt: bytes, iterations: int) -> bytes:
    # NFC so the same passphrase typed on different systems yields the same bytes.
    secret = utf8(unicodedata.normalize("NFC", passphrase), "the passphrase")
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
    return kdf.derive(secret)


def _parse_blob(blob: str) -> tuple[int, bytes, bytes, bytes]:
    try:
        fields: Any = json.loads(blob)
    except (ValueError, TypeError):
        raise KeyFormatError("a wrapped key must be JSON text") from None
    expected = {"v", "kdf", "iterations", "salt", "nonce", "ciphertext"}
    if not isinstance(fields, dict) or set(fields) != expected:
        raise KeyFormatError(f"a wrapped key has exactly the fields {', '.join(sorted(expected))}")
    if fields["v"] != BLOB_VERSION or isinstance(fields["v"], bool):
        raise KeyFormatError(f"unsupported wrapped key version; expected {BLOB_VERSION}")
    if fields["kdf"] != KDF_NAME:
        raise KeyFormatError(f"unsupported key derivation; expected {KDF_NAME!r}")
    iterations = fields["iterations"]
    if (
        not isinstance(iterations, int)
        or isinstance(iterations, bool)
        or not 1 <= iterations <= MAX_ITERATIONS_ACCEPTED
    ):
        raise KeyFormatError(f"iterations must be a whole number up to {MAX_ITERATIONS_ACCEPTED}")
    salt = b64url_field(fields, "salt", SALT_BYTES, "wrapped key")
    nonce = b64url_field(fields, "nonce", NONCE_BYTES, "wrapped key")
    ciphertext = b64url_field(fields, "ciphertext", _CIPHERTEXT_BYTES, "wrapped key")
    return iterations, salt, nonce, ciphertext
