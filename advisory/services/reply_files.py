"""A lawyer's files with a reply, as the reporter reaches them with their case code.

With JavaScript the reporter's browser opens a file itself (static/js/inbox-files.js); the
server only hands out its sealed stream. Without it the reporter posts the code, and the
file is opened here, in memory, for that one response: header with the key the code
derives, then every chunk. Nothing opened is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from advisory import file_types
from advisory.models import Attachment, Case, Direction
from advisory.redacted import Redacted
from advisory.services.attachment_sealing import HEADER_VERSION
from advisory.services.attachments import attachments_of, sealed_stream
from advisory.services.sealing import TO_REPORTER, case_context
from crypto.encoding import b64url_decode_or_none
from crypto.stream import KEY_BYTES


def reply_files(session: Session, case: Case) -> dict[int, list[Attachment]]:
    """The files lawyers sent with their replies, by reply (message id), in the order they came."""
    files: dict[int, list[Attachment]] = {}
    for attachment in attachments_of(session, case):
        if attachment.direction is Direction.TO_REPORTER and attachment.message_id is not None:
            files.setdefault(attachment.message_id, []).append(attachment)
    return files


def reply_file(session: Session, case: Case, attachment_id: int) -> Attachment | None:
    """One file sent with a reply of this case; None for any other (or none)."""
    return session.scalars(
        select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.case_id == case.id,
            Attachment.direction == Direction.TO_REPORTER,
            Attachment.message_id.is_not(None),
        )
    ).first()


@dataclass(frozen=True, repr=False)
class ReplyHeader(Redacted):
    """What a reply file's sealed header says: its content key, a safe name, its true size."""

    key: bytes
    name: str
    size: int


@dataclass(frozen=True, repr=False)
class OpenedFile(Redacted):
    """A reply file opened with the reporter's case code: for one response, in memory only."""

    name: str
    data: bytes


def reply_header(case: Case, attachment: Attachment, code: str) -> ReplyHeader | None:
    """A reply file's header opened with the key the reporter's case `code` gives; None when
    it does not open or says what no page of ours seals."""
    if attachment.header_envelope is None:
        return None
    try:
        text = crypto.open(
            "attachment",
            attachment.header_envelope,
            crypto.reporter_private_key(code),
            case_context(case, TO_REPORTER),
        )
    except crypto.CryptoError:
        return None
    return _parsed_header(text, attachment.padded_bytes)


def _parsed_header(text: bytes, padded_bytes: int) -> ReplyHeader | None:
    """The header's JSON, field by field (a lawyer's browser wrote it: nothing is taken on
    trust); fields beyond these are ignored."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    key = value.get("key")
    key_bytes = b64url_decode_or_none(key) if isinstance(key, str) else None
    name, media_type, size = value.get("name"), value.get("type"), value.get("size")
    if (
        value.get("v") != HEADER_VERSION
        or key_bytes is None
        or len(key_bytes) != KEY_BYTES
        or not isinstance(name, str)
        or not isinstance(media_type, str)
        or type(size) is not int
        or not 0 <= size <= padded_bytes
    ):
        return None
    known_type = media_type if media_type in file_types.ACCEPTED_TYPES else None
    # Named as the lawyer's page names it: with JavaScript or without, `x.exe` sent as a
    # picture is saved as `x.exe.png`.
    return ReplyHeader(key_bytes, file_types.download_name(name, known_type), size)


def open_reply_file(
    session: Session, case: Case, attachment: Attachment, code: str
) -> OpenedFile | None:
    """A reply file opened whole with the reporter's case `code`: header, then every chunk.
    None when any of it does not open, or it is not as long as it was stored."""
    header = reply_header(case, attachment, code)
    if header is None:
        return None
    try:
        data = crypto.open_chunks(header.key, sealed_stream(session, attachment))
    except crypto.CryptoError:
        return None
    if len(data) != attachment.padded_bytes:
        return None
    return OpenedFile(header.name, data[: header.size])
