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
from dataclasses import dataclass

import crypto
from advisory.models import Case, Direction, Message, Staff
from advisory.services.refusal import Refusal
from advisory.services.vouched_keys import KeyRole, vouch, vouched
from crypto import signatures

REPLY_MAC_KEY_LABEL = "reply-signature"


class SignatureError(Refusal):
    """A signing key or a reply's signature was refused; `reason` names why."""


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
    staff.signing_key_mac = vouch(data_key, KeyRole.STAFF_SIGNING_KEY, staff.id, key_text)


def trusted_signing_key(staff: Staff | None, *, data_key: bytes) -> str | None:
    """`staff`'s signing key if the instance vouches for it, else None."""
    if staff is None:
        return None
    key, mac = staff.signing_public_key, staff.signing_key_mac
    return key if vouched(data_key, KeyRole.STAFF_SIGNING_KEY, staff.id, key, mac) else None


@dataclass(frozen=True)
class CheckedSignature:
    """A reply's signature as checked on arrival, with what vouches for it."""

    signature: str
    signer_key: str
    mac: bytes


def check_reply_signature(
    case: Case,
    author: Staff,
    envelope: str,
    signature: str | None,
    *,
    vetted: bool,
    data_key: bytes,
) -> CheckedSignature | None:
    """The signature to store with a reply from a browser, or None.

    Once the author has a signing key, a signature is required and must hold. It is kept
    only if the author is `vetted` (holds the line key, given by a colleague who compared
    their fingerprint): an account that nobody vetted cannot make "signed by a lawyer".
    """
    key = trusted_signing_key(author, data_key=data_key)
    if key is None:
        return None
    if not signature or not signatures.reply_signature_valid(
        key, signature, case.line.slug, case.reference, envelope
    ):
        raise SignatureError("bad_signature")
    if not vetted:
        return None
    return CheckedSignature(signature, key, _reply_mac(data_key, case, envelope, signature, key))


def reply_origin(message: Message, case: Case, *, data_key: bytes) -> str:
    """What the reporter's page says of a reply's origin: signed only if the key it was
    checked with is still vouched for by the server and the signature holds under it."""
    if not message.signature:
        return ReplyOrigin.UNSIGNED
    key, mac = message.signer_key, message.signature_mac
    if key is None or mac is None:
        return ReplyOrigin.MISMATCH
    expected = _reply_mac(data_key, case, message.envelope, message.signature, key)
    if hmac.compare_digest(expected, mac) and signatures.reply_signature_valid(
        key, message.signature, case.line.slug, case.reference, message.envelope
    ):
        return ReplyOrigin.SIGNED
    return ReplyOrigin.MISMATCH


def reply_origins(case: Case, *, data_key: bytes) -> dict[int, str]:
    """Each reply of the case (message id) with what its page says of its origin."""
    return {
        message.id: reply_origin(message, case, data_key=data_key)
        for message in case.messages
        if message.direction is Direction.TO_REPORTER
    }


def _reply_mac(data_key: bytes, case: Case, envelope: str, signature: str, key: str) -> bytes:
    mac_key = crypto.derive_subkey(data_key, REPLY_MAC_KEY_LABEL)
    signed = "\0".join((case.line.slug, case.reference, envelope, signature, key))
    return hmac.new(mac_key, signed.encode(), hashlib.sha256).digest()
