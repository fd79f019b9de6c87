"""TOTP for staff (pyotp); the seed is stored only encrypted under the instance data key."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

import crypto

ISSUER = "Advisory Line"
# The code of the step before and after the current one is accepted too (clock drift).
VALID_WINDOW = 1
_AT_REST_PURPOSE = "totp-seed"


def new_seed() -> str:
    return pyotp.random_base32()


def provisioning_uri(seed: str, username: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=username, issuer_name=ISSUER)


def matching_step(seed: str, code: str, now: datetime, *, window: int = VALID_WINDOW) -> int | None:
    """The time step within `window` steps of `now` whose code is `code`, or None.

    Every step of the window is compared, in constant time, whatever matches: the answer takes
    as long for a right code as for a wrong one. Should two steps share a code, the later wins,
    so that recording it as used refuses the most.
    """
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    generator = pyotp.TOTP(seed)
    current = generator.timecode(now)
    matched = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(generator.generate_otp(step), code):
            matched = step
    return matched


def seal_seed(data_key: bytes, seed: str) -> str:
    return crypto.encrypt_at_rest(_totp_key(data_key), seed.encode("ascii"), _AT_REST_PURPOSE)


def open_seed(data_key: bytes, sealed: str) -> str:
    return crypto.decrypt_at_rest(_totp_key(data_key), sealed, _AT_REST_PURPOSE).decode("ascii")


def _totp_key(data_key: bytes) -> bytes:
    return crypto.derive_subkey(data_key, "totp")
