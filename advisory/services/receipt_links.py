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
_LINK_KEY_LABEL = "receipt-link-code"
_CODE_PURPOSE = "receipt-code"
_FILES_PURPOSE = "receipt-files"


@dataclass(frozen=True)
class FileNote:
    """What the receipt says of one file sealed on arrival: the finding keys of what was
    taken out, and of what could not be (a PDF's details). Never its name."""

    removed: tuple[str, ...]
    kept: tuple[str, ...] = ()


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
    files: tuple[FileNote, ...] = ()  # one for each file sealed on arrival


def issue_link(
    session: Session,
    pepper: bytes,
    case: Case,
    *,
    code: str | None,
    callback_unbooked: bool,
    now: datetime,
    files: tuple[FileNote, ...] = (),
) -> str:
    """A new link to this case's receipt (flush only); `code` is a server-made case code to
    show on its first view, and `callback_unbooked` says a callback asked for could not be
    booked. Links past their time show nothing, and the retention sweep deletes them."""
    raw = secrets.token_bytes(TOKEN_BYTES)
    sealed = None
    if code is not None:
        sealed = crypto.encrypt_at_rest(_link_key(raw), code.encode(), _CODE_PURPOSE)
    session.add(
        ReceiptLink(
            token_hmac=_token_hmac(pepper, raw),
            case=case,
            sealed_code=sealed,
            sealed_in_browser=code is None,
            callback_unbooked=callback_unbooked,
            # Sealed as the code is: even which kinds of file came is not for the database.
            removed_from_files=_sealed_notes(raw, files) if files else None,
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
        code = crypto.decrypt_at_rest(_link_key(raw), link.sealed_code, _CODE_PURPOSE).decode()
        link.sealed_code = None
        session.flush()
    return _shown(link, code, _opened_notes(raw, link.removed_from_files))


def _shown(link: ReceiptLink, code: str | None, files: tuple[FileNote, ...]) -> ShownReceipt:
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
        files=files,
    )


def _sealed_notes(raw: bytes, files: tuple[FileNote, ...]) -> str:
    notes = [[list(note.removed), list(note.kept)] for note in files]
    return crypto.encrypt_at_rest(_link_key(raw), json.dumps(notes).encode(), _FILES_PURPOSE)


def _opened_notes(raw: bytes, stored: str | None) -> tuple[FileNote, ...]:
    if not stored:
        return ()
    notes = json.loads(crypto.decrypt_at_rest(_link_key(raw), stored, _FILES_PURPOSE))
    return tuple(FileNote(tuple(removed), tuple(kept)) for removed, kept in notes)


def _token_hmac(pepper: bytes, raw: bytes) -> bytes:
    return crypto.lookup_hmac(crypto.derive_subkey(pepper, _HMAC_KEY_LABEL), raw)


def _link_key(raw: bytes) -> bytes:
    """The key only the link's token gives: the server keeps the token as an HMAC only."""
    return crypto.derive_subkey(raw, _LINK_KEY_LABEL)
