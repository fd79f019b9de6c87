"""TOTP for staff (pyotp); the seed is stored only encrypted under the instance data key."""

from __future__ import annotations

import pyotp

import crypto

ISSUER = "Advisory Line"
_AT_REST_PURPOSE = "totp-seed"


def new_seed() -> str:
    return pyotp.random_base32()


def provisioning_uri(seed: str, username: str) -> str:
    return pyotp.TOTP(seed).provisioning_uri(name=username, issuer_name=ISSUER)


def seal_seed(data_key: bytes, seed: str) -> str:
    return crypto.encrypt_at_rest(_totp_key(data_key), seed.encode("ascii"), _AT_REST_PURPOSE)


def open_seed(data_key: bytes, sealed: str) -> str:
    return crypto.decrypt_at_rest(_totp_key(data_key), sealed, _AT_REST_PURPOSE).decode("ascii")


def _totp_key(data_key: bytes) -> bytes:
    return crypto.derive_subkey(data_key, "totp")
