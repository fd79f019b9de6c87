"""Lawyers sign their replies: the reporter's page can tell a reply of the line from a plant.

A lawyer's Ed25519 signing key is derived from their own X25519 private key (HKDF-SHA256,
its own label), so it needs no wrap of its own: whoever unwraps the one can make the other.
A reply is signed over a label, the line slug, the case reference and the reply envelope
sealed to the reporter, so a signature cannot be moved to another reply or case.

The browser module `advisory/static/js/crypto/signatures.js` derives and signs the same way;
the server checks what arrives, and checks again when it shows a reply without JavaScript.
"""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from crypto.encoding import b64url_decode, b64url_decode_or_none, b64url_encode
from crypto.errors import KeyFormatError
from crypto.keys import private_key_to_bytes

SIGNING_KEY_INFO = b"advisory-line/v1/staff-signing-key"
REPLY_SIGNATURE_LABEL = b"advisory-line/v1/reply-signature"
SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def signing_key_for(own_private_key: X25519PrivateKey) -> Ed25519PrivateKey:
    """The lawyer's Ed25519 signing key, derived from their own X25519 private key."""
    raw = private_key_to_bytes(own_private_key)
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SIGNING_KEY_INFO).derive(raw)
    return Ed25519PrivateKey.from_private_bytes(seed)


def signing_public_key_text(signing_key: Ed25519PrivateKey) -> str:
    raw = signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return b64url_encode(raw)


def signing_public_key_from_text(text: str) -> Ed25519PublicKey:
    """A signing public key as stored (43 base64url characters), or KeyFormatError."""
    raw = b64url_decode_or_none(text)
    if raw is None or len(raw) != PUBLIC_KEY_BYTES:
        raise KeyFormatError("a signing public key is 32 bytes of unpadded base64url")
    return Ed25519PublicKey.from_public_bytes(raw)


def reply_signed_bytes(line_slug: str, case_reference: str, envelope: str) -> bytes:
    """What a reply's signature covers: label || 0 || line || 0 || reference || 0 || envelope."""
    parts = (line_slug, case_reference, envelope)
    if not all(isinstance(part, str) and part.isascii() and part for part in parts):
        raise ValueError("a line slug, case reference and envelope are non-empty ASCII text")
    return REPLY_SIGNATURE_LABEL + b"\0" + b"\0".join(part.encode("ascii") for part in parts)


def sign_reply(
    signing_key: Ed25519PrivateKey, line_slug: str, case_reference: str, envelope: str
) -> str:
    signature = signing_key.sign(reply_signed_bytes(line_slug, case_reference, envelope))
    return b64url_encode(signature)


def reply_signature_valid(
    public_key_text: str, signature_text: str, line_slug: str, case_reference: str, envelope: str
) -> bool:
    """Whether the signature is the key's over this reply of this case; False for anything
    malformed."""
    try:
        public_key = signing_public_key_from_text(public_key_text)
        signature = b64url_decode(signature_text)
        signed = reply_signed_bytes(line_slug, case_reference, envelope)
    except (KeyFormatError, ValueError):
        return False
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        public_key.verify(signature, signed)
    except InvalidSignature:
        return False
    return True
