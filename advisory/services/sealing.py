"""Server-side sealing for reporters without JavaScript, and where envelopes belong.

Plaintext passes through here only in memory, for the one request that carries it; only
envelopes leave. With JavaScript the browser does all of this and the server never sees it.

Every envelope is bound to its line, case and direction (crypto.EnvelopeContext, envelope
`v2`): one moved to another case, or a copy passed off as a reply, does not open. A new
case's reference is derived from its form's one-time token, so the page knows it before
anything is sent and the browser can bind the report to it.
"""

from __future__ import annotations

import crypto
from advisory.models import Case, Direction, LineKey
from advisory.services.intake import ReporterKeys

SUBMISSION_CODE_KEY_LABEL = "submission-case-code"
SUBMISSION_REFERENCE_KEY_LABEL = "submission-reference"
TO_LINE = "reporter-to-line"
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


def reporter_keys(code: str) -> ReporterKeys:
    """The lookup token and reply public key derived from a case code."""
    public = crypto.reporter_private_key(code).public_key()
    return ReporterKeys(crypto.lookup_token(code), crypto.public_key_to_text(public))


def code_for_submission(data_key: bytes, submission_token: str) -> str:
    secret = crypto.derive_subkey(data_key, SUBMISSION_CODE_KEY_LABEL)
    return crypto.case_code_for_submission(secret, submission_token)


def read_replies(code: str, case: Case) -> dict[int, str]:
    """Replies to the reporter, opened with the key derived from their code (this request only)."""
    private_key = crypto.reporter_private_key(code)
    where = case_context(case, TO_REPORTER)
    opened = {}
    for message in case.messages:
        if message.direction is Direction.TO_REPORTER:
            try:
                sealed = message.envelope
                opened[message.id] = crypto.open("reply", sealed, private_key, where).decode()
            except crypto.CryptoError:
                continue
    return opened
