"""What a staff member's browser derives from a password, for tests that sign in without one.

The test client stands in for the browser: it sends the authentication key derived from the
password (the real count of PBKDF2 iterations, so the server's hashes match what Chromium
derives), never the password. Derivations are cached: a test suite signs in with a handful
of passwords many times.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

import crypto
from advisory.services.staff_keys import KeyPair, replace_key_pair, seal_grants
from tests.conftest import DEFAULT_NOW, TEST_SECRETS

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
INSTANCE_ID = crypto.instance_id(DATA_KEY)


@functools.cache
def credentials_for(password: str, username: str) -> crypto.StaffCredentials:
    return crypto.derive_staff_credentials(password, INSTANCE_ID, username)


def auth_key_bytes(password: str, username: str) -> bytes:
    return credentials_for(password, username).auth_key


def auth_key_for(password: str, username: str) -> str:
    """The authentication key a browser sends for `password` (43 base64url characters)."""
    return credentials_for(password, username).auth_key_text


def new_key_pair(password: str, username: str, staff_id: int) -> dict[str, str]:
    """What a lawyer's browser sends at enrolment for its new pair: the public key and the
    private key wrapped under the wrapping key `password` gives."""
    private_key = crypto.generate_keypair()
    wrap_key = credentials_for(password, username).wrap_key
    return {
        "public_key": crypto.public_key_to_text(private_key.public_key()),
        "wrapped_private_key": crypto.wrap_staff_private_key(private_key, wrap_key, staff_id),
    }


def enrolment_form(password: str, username: str, staff_id: int, code: str) -> dict[str, str]:
    """The enrolment form as a lawyer's browser sends it: no password, keys instead."""
    return {
        "new_auth_key": auth_key_for(password, username),
        **new_key_pair(password, username, staff_id),
        "code": code,
    }


def give_key_pair(session, staff, password: str) -> X25519PrivateKey:
    """Do what `staff`'s browser does at enrolment, here: a key pair wrapped under the
    wrapping key of `password`. Returns the private key (flush only)."""
    private_key = crypto.generate_keypair()
    wrap_key = credentials_for(password, staff.username).wrap_key
    pair = KeyPair(
        public_key=crypto.public_key_to_text(private_key.public_key()),
        wrapped_private_key=crypto.wrap_staff_private_key(private_key, wrap_key, staff.id),
    )
    replace_key_pair(session, staff, pair, data_key=DATA_KEY, now=DEFAULT_NOW)
    return private_key


def give_line_key(session, staff, line_key, line_private_key, password: str) -> X25519PrivateKey:
    """An enrolled lawyer holding the line key: their pair, and a grant of `line_key` to it.
    Returns their own private key (flush only)."""
    own = give_key_pair(session, staff, password)
    seal_grants(session, staff, [(line_key, line_private_key)], data_key=DATA_KEY, now=DEFAULT_NOW)
    return own
