"""Staff passwords: argon2id through argon2-cffi, never anything home-made."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# RFC 9106's second recommended profile (argon2-cffi's default), named so a test can lower it.
TIME_COST = 3
MEMORY_COST_KIB = 64 * 1024
PARALLELISM = 4


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM, type=Type.ID
    )


MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_one_time_password() -> str:
    """Sixteen URL-safe characters (96 bits): typed once, then replaced at first sign-in."""
    return secrets.token_urlsafe(12)
