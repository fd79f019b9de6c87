"""Server-side sealing for reporters without JavaScript.

Plaintext passes through here only in memory, for the one request that carries it; only
envelopes leave. With JavaScript the browser does all of this and the server never sees it.
"""

from __future__ import annotations

import crypto
from advisory.models import Direction, LineKey, Message
from advisory.services.intake import ReporterKeys

SUBMISSION_CODE_KEY_LABEL = "submission-case-code"


def seal_for_line(line_key: LineKey, purpose: str, plaintext: str) -> str:
    return crypto.seal(purpose, plaintext, crypto.public_key_from_text(line_key.public_key))


def reporter_keys(code: str) -> ReporterKeys:
    """The lookup token and reply public key derived from a case code."""
    public = crypto.reporter_private_key(code).public_key()
    return ReporterKeys(crypto.lookup_token(code), crypto.public_key_to_text(public))


def code_for_submission(data_key: bytes, submission_token: str) -> str:
    secret = crypto.derive_subkey(data_key, SUBMISSION_CODE_KEY_LABEL)
    return crypto.case_code_for_submission(secret, submission_token)


def read_replies(code: str, messages: list[Message]) -> dict[int, str]:
    """Replies to the reporter, opened with the key derived from their code (this request only)."""
    private_key = crypto.reporter_private_key(code)
    opened = {}
    for message in messages:
        if message.direction is Direction.TO_REPORTER:
            try:
                opened[message.id] = crypto.open("reply", message.envelope, private_key).decode()
            except crypto.CryptoError:
                continue
    return opened
