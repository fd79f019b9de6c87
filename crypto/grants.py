"""Line-key grants: a line's private key sealed to one lawyer's own public key.

Text form: `g1.<lawyer public key id>.<base64url(enc || ciphertext)>`. HPKE base mode seals
the 32 raw line private key bytes; `info` binds the line key id and the staff id, so a grant
cannot be moved to another lawyer or passed off as another line key. A lawyer's browser opens
its grant with the lawyer's unwrapped private key, and seals the line key to a colleague the
same way (`advisory/static/js/crypto/grants.js`); the server only stores grants.
"""

import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto.encoding import b64url_decode_or_none, b64url_encode
from crypto.errors import DecryptionFailed, KeyFormatError, UnknownKeyId
from crypto.keys import KEY_BYTES, key_id_for, private_key_from_bytes, private_key_to_bytes
from crypto.staff_credentials import check_staff_id
from crypto.wrapping import normalise_recovery_passphrase

GRANT_VERSION = "g1"
GRANT_INFO_LABEL = b"advisory-line/v1/line-key-grant"
RECOVERY_HOLDER = b"recovery"
RECOVERY_KEY_INFO = b"advisory-line/v1/recovery-key"
ENC_BYTES = 32
TAG_BYTES = 16
GRANT_PAYLOAD_BYTES = ENC_BYTES + KEY_BYTES + TAG_BYTES
# "g1." + 16 hex + "." + base64url of 80 bytes: every grant has exactly this length.
GRANT_CHARS = len(GRANT_VERSION) + 1 + 16 + 1 + -(-GRANT_PAYLOAD_BYTES * 4 // 3)

_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)
_KEY_ID = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class Grant:
    """A parsed grant. `payload` is enc || ciphertext (kept out of the repr)."""

    key_id: str
    payload: bytes = field(repr=False)


def grant_info(line_key_id: str, staff_id: int) -> bytes:
    """HPKE info of a grant: label || 0 || line key id || 0 || staff id."""
    if not isinstance(line_key_id, str) or not _KEY_ID.fullmatch(line_key_id):
        raise ValueError("a line key id is 16 lowercase hex characters")
    staff = str(check_staff_id(staff_id)).encode("ascii")
    return GRANT_INFO_LABEL + b"\0" + line_key_id.encode("ascii") + b"\0" + staff


def recovery_grant_info(line_key_id: str) -> bytes:
    """HPKE info of a recovery grant: label || 0 || line key id || 0 || "recovery" (no staff
    id is spelled with letters, so it cannot be taken for a lawyer's grant)."""
    if not isinstance(line_key_id, str) or not _KEY_ID.fullmatch(line_key_id):
        raise ValueError("a line key id is 16 lowercase hex characters")
    return GRANT_INFO_LABEL + b"\0" + line_key_id.encode("ascii") + b"\0" + RECOVERY_HOLDER


def recovery_private_key(typed_passphrase: str) -> X25519PrivateKey:
    """The recovery key pair's private half, derived from the recovery passphrase (160
    random bits, so HKDF alone suffices): line keys are sealed to its public half, also from a
    lawyer's browser when it rotates the line key."""
    passphrase = normalise_recovery_passphrase(typed_passphrase)
    kdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=RECOVERY_KEY_INFO)
    return private_key_from_bytes(kdf.derive(passphrase.encode("ascii")))


def seal_recovery_grant(
    line_private_key: X25519PrivateKey, recovery_public_key: X25519PublicKey
) -> str:
    """Seal a line private key to the recovery public key."""
    info = recovery_grant_info(key_id_for(line_private_key.public_key()))
    return _seal(line_private_key, recovery_public_key, info)


def open_recovery_grant(
    grant: str, line_key_id: str, recovery_key: X25519PrivateKey
) -> X25519PrivateKey:
    """Open a recovery grant of line key `line_key_id` with the recovery private key."""
    return _open(grant, line_key_id, recovery_key, recovery_grant_info(line_key_id))


def seal_grant(
    line_private_key: X25519PrivateKey, staff_id: int, staff_public_key: X25519PublicKey
) -> str:
    """Seal a line private key to one lawyer's public key; returns the grant text."""
    info = grant_info(key_id_for(line_private_key.public_key()), staff_id)
    return _seal(line_private_key, staff_public_key, info)


def _seal(line_private_key: X25519PrivateKey, public_key: X25519PublicKey, info: bytes) -> str:
    try:
        payload = _SUITE.encrypt(private_key_to_bytes(line_private_key), public_key, info=info)
    except ValueError:
        # OpenSSL refuses low-order points (all-zero shared secret).
        raise KeyFormatError("cannot seal to this public key: not a usable X25519 key") from None
    return f"{GRANT_VERSION}.{key_id_for(public_key)}.{b64url_encode(payload)}"


def parse_grant(grant: str) -> Grant:
    """Split and check grant text without opening it; KeyFormatError for anything else."""
    if not isinstance(grant, str) or len(grant) != GRANT_CHARS:
        raise KeyFormatError(f"a grant is text of {GRANT_CHARS} characters")
    parts = grant.split(".")
    if len(parts) != 3 or parts[0] != GRANT_VERSION:
        raise KeyFormatError("a grant has the form g1.<key-id>.<payload>")
    _, key_id, payload_text = parts
    if not _KEY_ID.fullmatch(key_id):
        raise KeyFormatError("a grant key id is 16 lowercase hex characters")
    payload = b64url_decode_or_none(payload_text)
    if payload is None:
        raise KeyFormatError("grant payload is not unpadded base64url")
    if len(payload) != GRANT_PAYLOAD_BYTES:
        raise KeyFormatError(f"a grant payload is {GRANT_PAYLOAD_BYTES} bytes")
    return Grant(key_id=key_id, payload=payload)


def open_grant(
    grant: str, line_key_id: str, staff_id: int, staff_private_key: X25519PrivateKey
) -> X25519PrivateKey:
    """Open a grant sealed for `staff_id` and line key `line_key_id`; returns the line key.

    Beyond authentication, the key inside must be the line key `line_key_id` names: anyone
    with a lawyer's public key can seal a grant, so a grant holding some other key is refused.
    """
    return _open(grant, line_key_id, staff_private_key, grant_info(line_key_id, staff_id))


def _open(
    grant: str, line_key_id: str, staff_private_key: X25519PrivateKey, info: bytes
) -> X25519PrivateKey:
    parsed = parse_grant(grant)
    if key_id_for(staff_private_key.public_key()) != parsed.key_id:
        raise UnknownKeyId(parsed.key_id)
    try:
        raw = _SUITE.decrypt(parsed.payload, staff_private_key, info=info)
    except (InvalidTag, ValueError):
        raise DecryptionFailed() from None
    line_private_key = private_key_from_bytes(raw)
    if key_id_for(line_private_key.public_key()) != line_key_id:
        raise DecryptionFailed(f"the grant does not hold line key {line_key_id!r}")
    return line_private_key
