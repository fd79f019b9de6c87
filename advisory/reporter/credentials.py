"""What a reporter proves they hold: the case code (no JS) or its lookup token (JS)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

import crypto
from advisory.redacted import Redacted
from advisory.services.sealed_input import SealedInputRefused, checked_lookup_token
from crypto.case_code import CASE_CODE_CHARS


class CredentialError(ValueError):
    """The code or token cannot be read; the message is for people."""


@dataclass(frozen=True, repr=False)
class Credential(Redacted):
    lookup_token: bytes
    code: str | None  # only without JavaScript; needed to open replies on the server


def decode_token(text: str) -> bytes:
    try:
        return checked_lookup_token(text)
    except SealedInputRefused:
        raise CredentialError(_("The page sent a damaged code; please type it again.")) from None


def credential_from(code_typed: str | None, token_text: str | None) -> Credential:
    """From the browser's lookup token if present, else from the typed code."""
    if token_text:
        return Credential(decode_token(token_text), None)
    try:
        code = crypto.normalise_case_code(code_typed or "")
    except crypto.InvalidCaseCode:
        raise CredentialError(_explain_bad_code(code_typed or "")) from None
    return Credential(crypto.lookup_token(code), code)


def _explain_bad_code(typed: str) -> str:
    chars = [ch for ch in typed if ch.isalnum()]
    if not chars:
        return _("Please type your case code.")
    if len(chars) != CASE_CODE_CHARS:
        return _("A case code has 20 characters; this one has %(count)d.", count=len(chars))
    return _("A case code has only digits and the letters A to Z; please check it.")
