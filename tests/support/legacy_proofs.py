"""The proof a browser sends for an account from before the password split."""

from __future__ import annotations

from argon2 import Type
from argon2.low_level import hash_secret_raw

from advisory import passwords
from advisory.passwords import LegacyParameters


def legacy_tag(parameters: LegacyParameters, password: str) -> bytes:
    """What the browser computes from the parameters the server hands out: the old hash's tag."""
    return hash_secret_raw(
        password.encode(),
        parameters.salt,
        time_cost=parameters.time_cost,
        memory_cost=parameters.memory_kib,
        parallelism=parameters.parallelism,
        hash_len=parameters.hash_len,
        type=Type.ID,
    )


def legacy_password_hash(password: str) -> str:
    """What an account from before the split stored: argon2id of the password's own bytes."""
    return passwords.hash_auth_key(password.encode())
