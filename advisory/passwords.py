"""Staff passwords: argon2id through argon2-cffi, never anything home-made.

An account hashed before the password stopped leaving the browser can still prove its
password without sending it: the browser recomputes the argon2id tag with the salt and costs
of the stored hash (`legacy_parameters`, advisory/static/js/crypto/argon2.js) and sends only
the tag, which `legacy_proof_matches` compares with the stored one.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, Type, extract_parameters
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


def hash_auth_key(auth_key: bytes) -> str:
    """argon2id of a staff authentication key (the browser's stand-in for the password)."""
    return _hasher().hash(auth_key)


def verify_auth_key(encoded_hash: str, auth_key: bytes) -> bool:
    try:
        return _hasher().verify(encoded_hash, auth_key)
    except (VerificationError, InvalidHashError):
        return False


def generate_one_time_password() -> str:
    """Sixteen URL-safe characters (96 bits): typed once, then replaced at first sign-in."""
    return secrets.token_urlsafe(12)


# What RFC 9106 allows (and argon2-cffi makes): anything outside it is not a hash we made.
_ARGON2_VERSION = 19
_MIN_SALT_BYTES = 8
_MIN_TAG_BYTES = 4
_MAX_PARALLELISM = 2**24 - 1
_MAX_32_BITS = 2**32 - 1


@dataclass(frozen=True)
class LegacyParameters:
    """The salt and costs of a stored argon2id hash: what a browser needs to recompute it."""

    salt: bytes
    time_cost: int
    memory_kib: int
    parallelism: int
    hash_len: int


def legacy_parameters(encoded_hash: str) -> LegacyParameters | None:
    """The parameters of an argon2id (version 19) hash; None for anything else."""
    parsed = _parse_argon2id(encoded_hash)
    return None if parsed is None else parsed[0]


def legacy_proof_matches(encoded_hash: str, proof: bytes) -> bool:
    """Whether `proof` is the raw tag inside the encoded hash, compared in constant time."""
    parsed = _parse_argon2id(encoded_hash)
    if parsed is None or not isinstance(proof, bytes):
        return False
    _, tag = parsed
    return hmac.compare_digest(tag, proof)


def _parse_argon2id(encoded_hash: str) -> tuple[LegacyParameters, bytes] | None:
    """Parameters and tag of a hash in exactly the form argon2-cffi writes, else None."""
    if not isinstance(encoded_hash, str):
        return None
    try:
        found = extract_parameters(encoded_hash)
    except InvalidHashError:
        return None
    if found.type is not Type.ID or found.version != _ARGON2_VERSION:
        return None
    *_, salt_text, tag_text = encoded_hash.split("$")
    salt, tag = _b64decode(salt_text), _b64decode(tag_text)
    if salt is None or tag is None:
        return None
    parameters = LegacyParameters(
        salt=salt,
        time_cost=found.time_cost,
        memory_kib=found.memory_cost,
        parallelism=found.parallelism,
        hash_len=len(tag),
    )
    # Only the canonical text: no other spelling of the same numbers, no other field order.
    if encoded_hash != _encode(parameters, tag) or not _within_rfc9106(parameters):
        return None
    return parameters, tag


def _within_rfc9106(parameters: LegacyParameters) -> bool:
    return (
        _MIN_SALT_BYTES <= len(parameters.salt) <= _MAX_32_BITS
        and _MIN_TAG_BYTES <= parameters.hash_len <= _MAX_32_BITS
        and 1 <= parameters.time_cost <= _MAX_32_BITS
        and 1 <= parameters.parallelism <= _MAX_PARALLELISM
        and 8 * parameters.parallelism <= parameters.memory_kib <= _MAX_32_BITS
    )


def _encode(parameters: LegacyParameters, tag: bytes) -> str:
    return (
        f"$argon2id$v={_ARGON2_VERSION}"
        f"$m={parameters.memory_kib},t={parameters.time_cost},p={parameters.parallelism}"
        f"${_b64encode(parameters.salt)}${_b64encode(tag)}"
    )


def _b64encode(raw: bytes) -> str:
    # argon2's encoding: the standard alphabet without padding.
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes | None:
    """Bytes from argon2's base64, or None unless `text` is their one canonical spelling."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if _b64encode(raw) == text else None
