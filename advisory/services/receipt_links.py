"""The receipt after a report, behind a short-lived link (post/redirect/get).

A report's POST answers with a redirect to `/report/received/<token>`, so Back and reload
show the receipt rather than send the form again. The token is random, says nothing about
the case, and is stored only as an HMAC. A case code the server made (no JavaScript) waits
for the link's first view, encrypted under a key derived from the token itself: it is shown
once, then deleted, and a later view says it was shown. A code the browser made never
reaches the server, so its link holds none.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from advisory import triage
from advisory.models import CallbackStatus, Case, ContactPreference, ReceiptLink
from crypto.encoding import b64url_decode_or_none, b64url_encode

# Long enough to reload or come back to the receipt; short enough that a link left in a
# shared browser's history soon shows nothing.
LINK_LIFETIME = timedelta(minutes=30)
TOKEN_BYTES = 32
_HMAC_KEY_LABEL = "receipt-link"
_CODE_KEY_LABEL = "receipt-link-code"
_CODE_PURPOSE = "receipt-code"


@dataclass(frozen=True)
class ShownReceipt:
    """What the receipt page says about a stored case."""

    due: datetime
    contact_preference: ContactPreference
    callback_at: datetime | None
    callback_unbooked: bool  # a callback was asked for, but no place could be booked
    emergency: bool
    sealed_in_browser: bool
    code: str | None = field(repr=False)  # only on the first view of a server-made code
    removed_from_files: tuple[tuple[str, ...], ...] = ()  # per file sealed on arrival


def issue_link(
    session: Session,
    pepper: bytes,
    case: Case,
    *,
    code: str | None,
    callback_unbooked: bool,
    now: datetime,
    removed_from_files: tuple[tuple[str, ...], ...] = (),
) -> str:
    """A new link to this case's receipt (flush only); `code` is a server-made case code to
    show on its first view, and `callback_unbooked` says a callback asked for could not be
    booked. Links past their time show nothing, and the retention sweep deletes them."""
    raw = secrets.token_bytes(TOKEN_BYTES)
    sealed = None
    if code is not None:
        sealed = crypto.encrypt_at_rest(_code_key(raw), code.encode(), _CODE_PURPOSE)
    session.add(
        ReceiptLink(
            token_hmac=_token_hmac(pepper, raw),
            case=case,
            sealed_code=sealed,
            sealed_in_browser=code is None,
            callback_unbooked=callback_unbooked,
            removed_from_files=json.dumps(removed_from_files) if removed_from_files else None,
            expires_at=now + LINK_LIFETIME,
        )
    )
    session.flush()
    return b64url_encode(raw)


def open_link(session: Session, pepper: bytes, token: str, now: datetime) -> ShownReceipt | None:
    """The receipt a link shows, or None for a token that is malformed, unknown or expired.
    A waiting code is taken out of the row (flush only): the caller commits, so it shows once."""
    raw = b64url_decode_or_none(token)
    if raw is None or len(raw) != TOKEN_BYTES:
        return None
    link = session.scalars(
        select(ReceiptLink).where(ReceiptLink.token_hmac == _token_hmac(pepper, raw))
    ).first()
    if link is None or link.expires_at <= now:
        return None
    code = None
    if link.sealed_code is not None:
        code = crypto.decrypt_at_rest(_code_key(raw), link.sealed_code, _CODE_PURPOSE).decode()
        link.sealed_code = None
        session.flush()
    return _shown(link, code)


def _shown(link: ReceiptLink, code: str | None) -> ShownReceipt:
    case = link.case
    booked = next((cb for cb in case.callbacks if cb.status == CallbackStatus.BOOKED), None)
    answers = triage.Answers(kind=case.kind, immediate_danger=case.immediate_danger)
    return ShownReceipt(
        due=case.callback_due_at,
        contact_preference=case.contact_preference,
        callback_at=booked.slot_start if booked else None,
        callback_unbooked=link.callback_unbooked,
        emergency=triage.needs_emergency_numbers(answers),
        sealed_in_browser=link.sealed_in_browser,
        code=code,
        removed_from_files=_removed(link.removed_from_files),
    )


def _removed(stored: str | None) -> tuple[tuple[str, ...], ...]:
    if not stored:
        return ()
    return tuple(tuple(str(key) for key in keys) for keys in json.loads(stored))


def _token_hmac(pepper: bytes, raw: bytes) -> bytes:
    return crypto.lookup_hmac(crypto.derive_subkey(pepper, _HMAC_KEY_LABEL), raw)


def _code_key(raw: bytes) -> bytes:
    return crypto.derive_subkey(raw, _CODE_KEY_LABEL)
