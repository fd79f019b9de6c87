"""What a reporter proves they hold: the case code (no JS) or its lookup token (JS)."""

from __future__ import annotations

from dataclasses import dataclass

import crypto
from crypto.encoding import b64url_decode


class CredentialError(ValueError):
    """The code or token cannot be read; the message is for people."""


@dataclass(frozen=True)
class Credential:
    lookup_token: bytes
    code: str | None  # only without JavaScript; needed to open replies on the server

    def __repr__(self) -> str:
        return "Credential(<hidden>)"


def decode_token(text: str) -> bytes:
    try:
        token = b64url_decode(text)
    except ValueError:
        raise CredentialError("The page sent a damaged code; please type it again.") from None
    if len(token) != 32:
        raise CredentialError("The page sent a damaged code; please type it again.")
    return token


def credential_from(code_typed: str | None, token_text: str | None) -> Credential:
    """From the browser's lookup token if present, else from the typed code."""
    if token_text:
        return Credential(decode_token(token_text), None)
    try:
        code = crypto.normalise_case_code(code_typed or "")
    except crypto.InvalidCaseCode as exc:
        raise CredentialError(str(exc)) from None
    return Credential(crypto.lookup_token(code), code)
