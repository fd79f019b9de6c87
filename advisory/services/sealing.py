"""Server-side sealing for reporters without JavaScript, and where envelopes belong.

Plaintext passes through here only in memory, for the one request that carries it; only
envelopes leave. With JavaScript the browser does all of this and the server never sees it.

Every envelope is bound to its line, case and direction (crypto.EnvelopeContext, envelope
`v2`): one moved to another case, or a copy passed off as a reply, does not open. A new
case's reference is derived from its form's one-time token, so the page knows it before
anything is sent and the browser can bind the report to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import crypto
from advisory.models import Case, Direction, LineKey
from advisory.redacted import Redacted
from advisory.services.intake import ReporterKeys

SUBMISSION_CODE_KEY_LABEL = "submission-case-code"
SUBMISSION_REFERENCE_KEY_LABEL = "submission-reference"
TO_LINE = "reporter-to-line"
REPORTER_COPY = "reporter-to-reporter"
TO_REPORTER = "line-to-reporter"
LINE_COPY = "line-to-line"


def reference_for_form(pepper: bytes, form_token: str) -> str:
    """The reference the case sent with this form gets (the page names it in advance)."""
    secret = crypto.derive_subkey(pepper, SUBMISSION_REFERENCE_KEY_LABEL)
    return crypto.reference_for_submission(secret, form_token)


def context(line_slug: str, reference: str, direction: str) -> crypto.EnvelopeContext:
    return crypto.EnvelopeContext(line_slug, reference, direction)


def case_context(case: Case, direction: str) -> crypto.EnvelopeContext:
    return crypto.EnvelopeContext(case.line.slug, case.reference, direction)


def seal_for_line(
    line_key: LineKey, purpose: str, plaintext: str, where: crypto.EnvelopeContext
) -> str:
    public = crypto.public_key_from_text(line_key.public_key)
    return crypto.seal(purpose, plaintext, public, where)


def seal_for_reporter(
    public_key: str, purpose: str, plaintext: str, where: crypto.EnvelopeContext
) -> str:
    """Seal to a reporter's reply key: their own copy of what they wrote."""
    return crypto.seal(purpose, plaintext, crypto.public_key_from_text(public_key), where)


def reporter_keys(code: str) -> ReporterKeys:
    """The lookup token and reply public key derived from a case code."""
    public = crypto.reporter_private_key(code).public_key()
    return ReporterKeys(crypto.lookup_token(code), crypto.public_key_to_text(public))


def code_for_submission(data_key: bytes, submission_token: str) -> str:
    secret = crypto.derive_subkey(data_key, SUBMISSION_CODE_KEY_LABEL)
    return crypto.case_code_for_submission(secret, submission_token)


@dataclass(frozen=True, repr=False)
class OpenedCase(Redacted):
    """What a reporter's code opens on the server (without JavaScript), for one page only."""

    first_text: str | None  # the report's text, from the reporter's own copy
    messages: dict[int, str]  # by message id: replies, and the reporter's own messages


def open_for_reporter(code: str, case: Case) -> OpenedCase:
    """Everything in the case sealed to the reporter's key, opened with the key derived from
    their code: the lawyers' replies and the reporter's own copies of what they sent. What
    does not open (damaged, or sealed elsewhere) is left out; the page says so."""
    private_key = crypto.reporter_private_key(code)

    def opened(purpose: str, envelope: str | None, direction: str) -> str | None:
        if envelope is None:
            return None
        try:
            return crypto.open(
                purpose, envelope, private_key, case_context(case, direction)
            ).decode()
        except crypto.CryptoError:
            return None

    messages = {}
    for message in case.messages:
        if message.direction is Direction.TO_REPORTER:
            text = opened("reply", message.envelope, TO_REPORTER)
        else:
            text = opened("message", message.reporter_copy_envelope, REPORTER_COPY)
        if text is not None:
            messages[message.id] = text
    first_text = opened("narrative", case.reporter_copy_envelope, REPORTER_COPY)
    return OpenedCase(first_text, messages)
