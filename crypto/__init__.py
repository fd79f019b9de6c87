"""Cryptography for Advisory Line: sealed envelopes, case codes, wrapped keys, data at rest.

Everything here is pure Python on top of `cryptography`; nothing imports Flask. The byte-level
formats are shared with the browser module, so change them only together with it.
"""

from crypto.at_rest import decrypt_at_rest, derive_subkey, encrypt_at_rest
from crypto.case_code import (
    case_code_for_submission,
    generate_case_code,
    generate_reference,
    lookup_hmac,
    lookup_token,
    normalise_case_code,
    reporter_private_key,
)
from crypto.compare import constant_time_equals
from crypto.envelope import (
    MAX_PLAINTEXT_BYTES,
    PURPOSES,
    Envelope,
    envelope_key_id,
    max_envelope_chars,
    open_envelope,
    parse_envelope,
    seal,
)
from crypto.errors import (
    CryptoError,
    DecryptionFailed,
    InvalidCaseCode,
    InvalidRecoveryPassphrase,
    KeyFormatError,
    MalformedEnvelope,
    PaddingError,
    PlaintextTooLarge,
    UnknownKeyId,
    UnknownPurpose,
    WrongPassphrase,
)
from crypto.keys import (
    generate_keypair,
    key_id_for,
    private_key_from_bytes,
    private_key_to_bytes,
    public_key_from_text,
    public_key_to_text,
)
from crypto.wrapping import (
    MIN_ITERATIONS_ALLOWED,
    PBKDF2_ITERATIONS,
    generate_recovery_passphrase,
    normalise_recovery_passphrase,
    unwrap_private_key,
    wrap_private_key,
    wrapped_key_iterations,
)

# `crypto.open(purpose, envelope, keys)` reads as the mirror of `crypto.seal`.
open = open_envelope

__all__ = [
    "MAX_PLAINTEXT_BYTES",
    "MIN_ITERATIONS_ALLOWED",
    "PBKDF2_ITERATIONS",
    "PURPOSES",
    "CryptoError",
    "DecryptionFailed",
    "Envelope",
    "InvalidCaseCode",
    "InvalidRecoveryPassphrase",
    "KeyFormatError",
    "MalformedEnvelope",
    "PaddingError",
    "PlaintextTooLarge",
    "UnknownKeyId",
    "UnknownPurpose",
    "WrongPassphrase",
    "case_code_for_submission",
    "constant_time_equals",
    "decrypt_at_rest",
    "derive_subkey",
    "encrypt_at_rest",
    "envelope_key_id",
    "generate_case_code",
    "generate_keypair",
    "generate_recovery_passphrase",
    "generate_reference",
    "key_id_for",
    "lookup_hmac",
    "lookup_token",
    "max_envelope_chars",
    "normalise_case_code",
    "normalise_recovery_passphrase",
    "open",
    "open_envelope",
    "parse_envelope",
    "private_key_from_bytes",
    "private_key_to_bytes",
    "public_key_from_text",
    "public_key_to_text",
    "reporter_private_key",
    "seal",
    "unwrap_private_key",
    "wrap_private_key",
    "wrapped_key_iterations",
]
