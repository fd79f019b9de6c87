"""Public keys the server vouches for: stored with an HMAC under a subkey of the data key.

A lawyer's public key, their signing key and the line's recovery public key arrive from
places the server trusts (a signed-in browser, a command given the recovery passphrase).
Browsers then seal line keys to them and read signatures with them. Someone who can only
write the database could put keys of their own in their place; the HMAC, which needs the
instance's data key, shows that, and such a key is treated as none.
"""

from __future__ import annotations

import enum
import hashlib
import hmac

import crypto

SUBKEY_LABEL = "vouched-public-keys"


class KeyRole(enum.StrEnum):
    STAFF_PUBLIC_KEY = "staff-public-key"
    STAFF_SIGNING_KEY = "staff-signing-key"
    LINE_RECOVERY_KEY = "line-recovery-key"


def vouch(data_key: bytes, role: KeyRole, owner_id: int, key_text: str) -> bytes:
    """The HMAC that says the server stored `key_text` as `owner_id`'s key of this role."""
    subkey = crypto.derive_subkey(data_key, SUBKEY_LABEL)
    message = f"{role.value}\0{owner_id}\0{key_text}".encode()
    return hmac.new(subkey, message, hashlib.sha256).digest()


def vouched(
    data_key: bytes, role: KeyRole, owner_id: int, key_text: str | None, mac: bytes | None
) -> bool:
    if not key_text or mac is None:
        return False
    return hmac.compare_digest(vouch(data_key, role, owner_id, key_text), mac)
