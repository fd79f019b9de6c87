"""Case codes: the reporter's only credential, and everything derived from it.

A case code is 100 random bits as 20 Crockford base32 characters in dashed groups of four
(`K7QX-4M2P-9TRH-3WDN-B6VZ`).
From it HKDF-SHA256 derives a lookup token (the server stores only an HMAC of it) and the
reporter's X25519 key (replies are sealed to its public half). The browser derives the same
bytes: IKM = the 20 ASCII characters without dashes, empty salt, info per derivation.
"""

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto import crockford
from crypto.errors import InvalidCaseCode

CASE_CODE_CHARS = 20
REFERENCE_CHARS = 8
LOOKUP_TOKEN_INFO = b"advisory-line/v1/lookup-token"
REPORTER_KEY_INFO = b"advisory-line/v1/reporter-key"
SUBMISSION_CODE_LABEL = b"advisory-line/v1/submission-case-code\x00"
SUBMISSION_REFERENCE_LABEL = b"advisory-line/v1/submission-reference\x00"


def generate_case_code() -> str:
    """A new case code, 100 random bits, in canonical dashed form."""
    return crockford.group(crockford.random_chars(CASE_CODE_CHARS))


def normalise_case_code(typed: str) -> str:
    """Canonical dashed form of a typed case code; InvalidCaseCode says what is wrong."""
    try:
        chars = crockford.normalise(typed, length=CASE_CODE_CHARS, noun="A case code")
    except ValueError as exc:
        raise InvalidCaseCode(str(exc)) from None
    return crockford.group(chars)


def lookup_token(code: str) -> bytes:
    """32-byte token that finds the case; the server keeps only `lookup_hmac` of it."""
    return _derive(code, LOOKUP_TOKEN_INFO)


def reporter_private_key(code: str) -> X25519PrivateKey:
    """The reporter's X25519 key: replies sealed to its public half need the case code."""
    return X25519PrivateKey.from_private_bytes(_derive(code, REPORTER_KEY_INFO))


def lookup_hmac(pepper: bytes, token: bytes) -> bytes:
    """HMAC-SHA256(pepper, token): what the database stores, useless without the pepper."""
    if not pepper:
        raise ValueError("the lookup pepper must not be empty")
    return hmac.new(pepper, token, hashlib.sha256).digest()


def case_code_for_submission(secret: bytes, submission_token: str) -> str:
    """The code the server issues for a report sent without JavaScript.

    Derived from the form's one-time token under a server secret, so a repeated POST of the
    same form shows the same code although neither the code nor the token is stored.
    """
    if len(secret) < 32:
        raise ValueError("the submission secret needs at least 32 bytes")
    digest = hmac.new(secret, SUBMISSION_CODE_LABEL + submission_token.encode(), "sha256").digest()
    bits = int.from_bytes(digest[:13], "big") >> (13 * 8 - CASE_CODE_CHARS * 5)
    return crockford.group(crockford.encode_bits(bits, CASE_CODE_CHARS))


def reference_for_submission(secret: bytes, form_token: str) -> str:
    """The reference a case sent with this form will have: known to the page before it is
    sent, so the browser can bind what it seals to the case (envelope v2).

    Derived from the form's one-time token under a server secret, as the no-JavaScript case
    code is; the same form sent twice names the same case.
    """
    if len(secret) < 32:
        raise ValueError("the submission secret needs at least 32 bytes")
    digest = hmac.new(secret, SUBMISSION_REFERENCE_LABEL + form_token.encode(), "sha256").digest()
    bits = int.from_bytes(digest[:5], "big")  # 40 bits: 8 Crockford characters
    return crockford.group(crockford.encode_bits(bits, REFERENCE_CHARS))


def generate_reference() -> str:
    """A public case reference such as `K7QF-9M2X` (40 bits): opaque in staff URLs, not a secret."""
    return crockford.group(crockford.random_chars(REFERENCE_CHARS))


def _derive(code: str, info: bytes) -> bytes:
    # Normalising first means a lower-case or undashed code still derives the same bytes.
    ikm = normalise_case_code(code).replace("-", "").encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(ikm)
