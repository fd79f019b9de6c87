"""Staff passwords: argon2id through argon2-cffi, never anything home-made."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# argon2-cffi's defaults follow RFC 9106's low-memory profile; the type is pinned explicitly.
_hasher = PasswordHasher(type=Type.ID)

MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_one_time_password() -> str:
    """Sixteen URL-safe characters (96 bits): typed once, then replaced at first sign-in."""
    return secrets.token_urlsafe(12)
