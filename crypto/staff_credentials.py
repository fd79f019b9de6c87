"""Staff credentials the server cannot turn into a key: the password never leaves the browser.

From the password the browser derives a master key (PBKDF2-HMAC-SHA256, a salt fixed by the
instance and the username, so no round trip tells whether a username exists) and splits it
with HKDF-SHA256 into an *authentication key*, which is sent instead of the password, and a
*wrapping key*, which is never sent. The wrapping key encrypts the staff member's own X25519
private key (AES-256-GCM, associated data naming the purpose and the staff id). A short
fingerprint of the public key lets two colleagues compare it by phone.

The browser module `advisory/static/js/crypto/staff-credentials.js` derives the same bytes;
the server uses this module for tests, the demo, and to check what arrives.
"""

import hashlib
import hmac
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto import crockford
from crypto.encoding import b64url_decode_or_none, b64url_encode, b64url_field, utf8
from crypto.errors import KeyFormatError
from crypto.keys import KEY_BYTES, private_key_to_bytes, public_key_bytes
from crypto.wrapping import decrypt_private_key

STAFF_KDF_ITERATIONS = 600_000
MIN_STAFF_KDF_ITERATIONS = 600_000
# The count is fixed by this code, not stored; still cap what a caller may ask for.
MAX_STAFF_KDF_ITERATIONS = 10_000_000

INSTANCE_ID_LABEL = b"advisory-line/v1/instance-id"
STAFF_SALT_LABEL = b"advisory-line/v1/staff-salt"
AUTH_KEY_INFO = b"advisory-line/v1/staff-auth-key"
WRAP_KEY_INFO = b"advisory-line/v1/staff-wrap-key"
STAFF_KEY_AAD_LABEL = b"advisory-line/v1/staff-private-key"
FINGERPRINT_LABEL = b"advisory-line/v1/fingerprint"

DERIVED_KEY_BYTES = 32
INSTANCE_ID_BYTES = 16
NONCE_BYTES = 12
TAG_BYTES = 16
BLOB_VERSION = 1
BLOB_ALG = "A256GCM"
FINGERPRINT_CHARS = 16  # 80 bits
# Staff ids are database ids: positive and within 64 bits.
MAX_STAFF_ID = 2**63 - 1

_INSTANCE_ID = re.compile(r"[0-9a-f]{32}")
_USERNAME = re.compile(r"[a-z0-9._-]{1,64}")
_BLOB_FIELDS = ("v", "alg", "nonce", "ciphertext")
# A blob is about 120 characters; anything much longer is not one (checked before parsing).
MAX_BLOB_CHARS = 512


@dataclass(frozen=True)
class StaffCredentials:
    """The two keys split from a password's master key (both kept out of the repr)."""

    auth_key: bytes = field(repr=False)
    wrap_key: bytes = field(repr=False)

    @property
    def auth_key_text(self) -> str:
        """What the browser sends instead of the password: base64url, 43 characters."""
        return b64url_encode(self.auth_key)


def instance_id(instance_secret: bytes) -> str:
    """This installation's public id (32 lowercase hex): part of every staff salt.

    Derived from a secret of the instance that never changes in its life (the app passes its
    data key, which TOTP seeds need as long as the accounts exist), so the id is stable for
    the instance, says nothing about the secret, and no table has to keep it.
    """
    if not isinstance(instance_secret, bytes) or not instance_secret:
        raise ValueError("the instance secret must be non-empty bytes")
    digest = hmac.new(instance_secret, INSTANCE_ID_LABEL, hashlib.sha256).digest()
    return digest[:INSTANCE_ID_BYTES].hex()


def normalise_username(username: str) -> str:
    """The username as the salt uses it: stripped and lower case, [a-z0-9._-]{1,64}."""
    name = username.strip().lower() if isinstance(username, str) else ""
    if not _USERNAME.fullmatch(name):
        raise ValueError(
            "a username has 1 to 64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    return name


def staff_salt(instance: str, username: str) -> bytes:
    """SHA-256(label || 0 || instance id || 0 || username): the same for every sign-in."""
    if not isinstance(instance, str) or not _INSTANCE_ID.fullmatch(instance):
        raise ValueError("an instance id is 32 lowercase hex characters")
    name = normalise_username(username)
    return hashlib.sha256(
        STAFF_SALT_LABEL + b"\0" + instance.encode("ascii") + b"\0" + name.encode("ascii")
    ).digest()


def master_key(
    password: str,
    salt: bytes,
    *,
    iterations: int = STAFF_KDF_ITERATIONS,
    allow_weak_for_tests: bool = False,
) -> bytes:
    """PBKDF2-HMAC-SHA256 over the NFC-normalised UTF-8 password: 32 bytes."""
    _check_iterations(iterations, allow_weak_for_tests)
    if not isinstance(password, str) or not password:
        raise ValueError("the password must not be empty")
    # NFC so the same password typed on different systems yields the same bytes.
    secret = utf8(unicodedata.normalize("NFC", password), "the password")
    return hashlib.pbkdf2_hmac("sha256", secret, salt, iterations, dklen=DERIVED_KEY_BYTES)


def split_master_key(master: bytes) -> StaffCredentials:
    """HKDF-SHA256 (no salt) with two labels: one key to send, one to keep."""
    if len(master) != DERIVED_KEY_BYTES:
        raise KeyFormatError(
            f"a master key is {DERIVED_KEY_BYTES} bytes; this one is {len(master)}"
        )
    return StaffCredentials(
        auth_key=_hkdf(master, AUTH_KEY_INFO), wrap_key=_hkdf(master, WRAP_KEY_INFO)
    )


def derive_staff_credentials(
    password: str,
    instance: str,
    username: str,
    *,
    iterations: int = STAFF_KDF_ITERATIONS,
    allow_weak_for_tests: bool = False,
) -> StaffCredentials:
    """What the browser derives at sign-in, enrolment and password change, in one call."""
    _check_iterations(iterations, allow_weak_for_tests)  # first, as the browser checks it
    salt = staff_salt(instance, username)
    master = master_key(
        password, salt, iterations=iterations, allow_weak_for_tests=allow_weak_for_tests
    )
    return split_master_key(master)


def auth_key_from_text(text: str) -> bytes:
    """The 32 bytes of an authentication key as sent (43 base64url characters), or ValueError.

    Checked at the door, so what plainly is not one (a typed password, above all) is refused
    before anything is hashed or stored.
    """
    raw = b64url_decode_or_none(text)
    if raw is None or len(raw) != DERIVED_KEY_BYTES:
        raise ValueError("an authentication key is 32 bytes of unpadded base64url")
    return raw


def check_staff_id(staff_id: int) -> int:
    """A staff id as bound into associated data and HPKE info: a positive 64-bit integer."""
    valid = isinstance(staff_id, int) and not isinstance(staff_id, bool)
    if not valid or not 1 <= staff_id <= MAX_STAFF_ID:
        raise ValueError("a staff id is a positive whole number")
    return staff_id


def staff_key_aad(staff_id: int) -> bytes:
    """Associated data of a wrapped staff key: it opens only for the staff id it was made for."""
    return STAFF_KEY_AAD_LABEL + b"\0" + str(check_staff_id(staff_id)).encode("ascii")


def wrap_staff_private_key(
    private_key: X25519PrivateKey,
    wrap_key: bytes,
    staff_id: int,
    *,
    nonce_for_tests: bytes | None = None,
) -> str:
    """Encrypt the 32 raw private key bytes under the wrapping key; returns the JSON blob.

    `nonce_for_tests` fixes the nonce for known-answer vectors only: reusing a nonce under
    one key breaks AES-GCM.
    """
    aad = staff_key_aad(staff_id)
    nonce = os.urandom(NONCE_BYTES) if nonce_for_tests is None else nonce_for_tests
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"a nonce is {NONCE_BYTES} bytes")
    ciphertext = AESGCM(_check_wrap_key(wrap_key)).encrypt(
        nonce, private_key_to_bytes(private_key), aad
    )
    blob = {
        "v": BLOB_VERSION,
        "alg": BLOB_ALG,
        "nonce": b64url_encode(nonce),
        "ciphertext": b64url_encode(ciphertext),
    }
    return json.dumps(blob, separators=(",", ":"))


def unwrap_staff_private_key(blob: str, wrap_key: bytes, staff_id: int) -> X25519PrivateKey:
    """Decrypt a wrapped staff key; WrongPassphrase for a wrong password or staff id, or
    an altered blob (one message for all three, so it tells an attacker nothing)."""
    aad = staff_key_aad(staff_id)
    key = _check_wrap_key(wrap_key)
    nonce, ciphertext = _parse_blob(blob)
    return decrypt_private_key(key, nonce, ciphertext, aad)


def check_wrapped_staff_key(blob: str) -> str:
    """`blob` if it is a well-formed wrapped staff key (it cannot be opened here); else
    KeyFormatError. What a browser sends is checked with this before it is stored."""
    _parse_blob(blob)
    return blob


def fingerprint(public_key: X25519PublicKey) -> str:
    """A public key's fingerprint to compare by phone: 80 bits, such as `7H2K-9QXW-4MDN-B6VZ`.

    SHA-256(label || 0 || raw public key), the first 80 bits in Crockford base32.
    """
    digest = hashlib.sha256(FINGERPRINT_LABEL + b"\0" + public_key_bytes(public_key)).digest()
    bits = int.from_bytes(digest[: FINGERPRINT_CHARS * 5 // 8], "big")
    return crockford.group(crockford.encode_bits(bits, FINGERPRINT_CHARS))


def _hkdf(master: bytes, info: bytes) -> bytes:
    kdf = HKDF(algorithm=hashes.SHA256(), length=DERIVED_KEY_BYTES, salt=None, info=info)
    return kdf.derive(master)


def _check_iterations(iterations: int, allow_weak_for_tests: bool) -> None:
    if isinstance(iterations, bool) or not isinstance(iterations, int):
        raise ValueError("PBKDF2 iterations must be a whole number")
    if iterations < MIN_STAFF_KDF_ITERATIONS and not allow_weak_for_tests:
        raise ValueError(
            f"{iterations} PBKDF2 iterations is too few; the minimum is {MIN_STAFF_KDF_ITERATIONS}"
        )
    if not 1 <= iterations <= MAX_STAFF_KDF_ITERATIONS:
        raise ValueError(f"PBKDF2 iterations must be between 1 and {MAX_STAFF_KDF_ITERATIONS}")


def _check_wrap_key(wrap_key: bytes) -> bytes:
    if not isinstance(wrap_key, bytes) or len(wrap_key) != DERIVED_KEY_BYTES:
        raise KeyFormatError(f"a wrapping key is {DERIVED_KEY_BYTES} bytes")
    return wrap_key


def _parse_blob(blob: str) -> tuple[bytes, bytes]:
    if not isinstance(blob, str) or len(blob) > MAX_BLOB_CHARS:
        raise KeyFormatError(f"a wrapped staff key is JSON text of at most {MAX_BLOB_CHARS} chars")
    try:
        fields: Any = json.loads(blob)
    except (ValueError, TypeError, RecursionError):
        raise KeyFormatError("a wrapped staff key must be JSON text") from None
    if not isinstance(fields, dict) or set(fields) != set(_BLOB_FIELDS):
        raise KeyFormatError(
            f"a wrapped staff key has exactly the fields {', '.join(sorted(_BLOB_FIELDS))}"
        )
    if fields["v"] != BLOB_VERSION or isinstance(fields["v"], bool):
        raise KeyFormatError(f"unsupported wrapped staff key version; expected {BLOB_VERSION}")
    if fields["alg"] != BLOB_ALG:
        raise KeyFormatError(f"unsupported wrapped staff key algorithm; expected {BLOB_ALG!r}")
    nonce = b64url_field(fields, "nonce", NONCE_BYTES, "wrapped staff key")
    ciphertext = b64url_field(fields, "ciphertext", KEY_BYTES + TAG_BYTES, "wrapped staff key")
    return nonce, ciphertext
