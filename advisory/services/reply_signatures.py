"""Signed replies: a lawyer's signing key, kept so only the server can vouch for it.

A lawyer's browser derives an Ed25519 signing key from their own private key and sends its
public half once (at enrolment, or at the first sign-in after signing began). The server
keeps it with an HMAC under a subkey of the instance's data key: someone who can only write
the database cannot put a key of their own in its place without the HMAC failing, and a key
whose HMAC fails is treated as none.

A reply from a browser carries the author's signature over the reply envelope, the line and
the case (crypto.signatures); it is checked on arrival and again when a reporter's inbox
shows the reply. A reply the server sealed (no JavaScript) is not signed, and the reporter's
page says so.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

from sqlalchemy.orm import Session

import crypto
from advisory.models import Case, Direction, Message, Staff
from crypto import signatures

MAC_KEY_LABEL = "staff-signing-key"


class SignatureError(ValueError):
    """A signing key or a reply's signature was refused; `reason` names why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReplyOrigin(enum.StrEnum):
    SIGNED = "signed"  # by a lawyer of the line whose key the server vouches for
    UNSIGNED = "unsigned"  # sealed by the server, or sent before replies were signed
    MISMATCH = "mismatch"  # a signature that does not hold: not to be trusted


def register_signing_key(staff: Staff, key_text: str, *, data_key: bytes) -> None:
    """Keep `staff`'s signing public key, vouched for by the instance (flush is the caller's)."""
    try:
        signatures.signing_public_key_from_text(key_text)
    except crypto.KeyFormatError:
        raise SignatureError("bad_signing_key") from None
    staff.signing_public_key = key_text
    staff.signing_key_mac = _mac(data_key, staff.id, key_text)


def trusted_signing_key(staff: Staff | None, *, data_key: bytes) -> str | None:
    """`staff`'s signing key if the instance vouches for it, else None."""
    if staff is None or not staff.signing_public_key or staff.signing_key_mac is None:
        return None
    expected = _mac(data_key, staff.id, staff.signing_public_key)
    if not hmac.compare_digest(expected, staff.signing_key_mac):
        return None
    return staff.signing_public_key


def check_reply_signature(
    case: Case, author: Staff, envelope: str, signature: str | None, *, data_key: bytes
) -> str | None:
    """The signature to store with a reply from a browser: required (and checked) once the
    author has a signing key; none before."""
    key = trusted_signing_key(author, data_key=data_key)
    if key is None:
        return None
    if not signature or not signatures.reply_signature_valid(
        key, signature, case.line.slug, case.reference, envelope
    ):
        raise SignatureError("bad_signature")
    return signature


def reply_origin(message: Message, case: Case, author: Staff | None, *, data_key: bytes) -> str:
    """What the reporter's page says of a reply's origin."""
    if not message.signature:
        return ReplyOrigin.UNSIGNED
    key = trusted_signing_key(author, data_key=data_key)
    if key is not None and signatures.reply_signature_valid(
        key, message.signature, case.line.slug, case.reference, message.envelope
    ):
        return ReplyOrigin.SIGNED
    return ReplyOrigin.MISMATCH


def _mac(data_key: bytes, staff_id: int, key_text: str) -> bytes:
    mac_key = crypto.derive_subkey(data_key, MAC_KEY_LABEL)
    return hmac.new(mac_key, f"{staff_id}\0{key_text}".encode(), hashlib.sha256).digest()


def reply_origins(session: Session, case: Case, *, data_key: bytes) -> dict[int, str]:
    """Each reply of the case (message id) with what its page says of its origin."""
    origins = {}
    for message in case.messages:
        if message.direction is Direction.TO_REPORTER:
            author = (
                session.get(Staff, message.author_staff_id) if message.author_staff_id else None
            )
            origins[message.id] = reply_origin(message, case, author, data_key=data_key)
    return origins
