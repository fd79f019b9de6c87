"""Evidence files sent without JavaScript, sealed on arrival: the browser's part, done here.

The files came in the report's own multipart post, held in memory only (never spooled to a
temporary file: advisory/uploads.py). Each is known by its bytes, stripped of identifying
metadata (advisory/metadata), padded, encrypted as a stream under a fresh content key, and
its header sealed to the line, exactly as a browser does it. The plaintext is dropped with
the request; only sealed chunks are stored.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

import crypto
from advisory import file_types, metadata
from advisory.models import Attachment, AttachmentChunk, Case, Direction, LineKey, Message
from advisory.redacted import Redacted
from advisory.services import attachments
from advisory.services.attachments import AttachmentRefused
from advisory.services.sealing import seal_for_line
from advisory.settings import AttachmentLimits
from crypto import stream
from crypto.encoding import b64url_encode

HEADER_VERSION = 1


@dataclass(frozen=True, repr=False)
class ArrivedFile(Redacted):
    """A file as the form posted it: its name and bytes, for this request only."""

    name: str
    data: bytes


@dataclass(frozen=True, repr=False)
class SealedFile(Redacted):
    header_envelope: str
    padded_bytes: int
    chunks: list[bytes]
    removed: tuple[str, ...]  # what metadata was found and taken out (finding keys)
    kept: tuple[str, ...]  # what was found and could not be taken out (a PDF's details)


def seal_files(
    files: Sequence[ArrivedFile],
    key: LineKey,
    where: crypto.EnvelopeContext,
    limits: AttachmentLimits,
) -> list[SealedFile]:
    """Check, strip and seal each file; AttachmentRefused names the first file refused."""
    if len(files) > limits.max_files:
        raise AttachmentRefused("too_many")
    if sum(len(file.data) for file in files) > limits.max_total_bytes:
        raise AttachmentRefused("too_large")
    return [_sealed(file, key, where, limits) for file in files]


def _sealed(
    file: ArrivedFile, key: LineKey, where: crypto.EnvelopeContext, limits: AttachmentLimits
) -> SealedFile:
    if not file.data:  # as the browser refuses it, and no upload can be empty
        raise AttachmentRefused("empty", file.name)
    if len(file.data) > limits.max_file_bytes:
        raise AttachmentRefused("file_too_large", file.name)
    media_type = file_types.sniff(file.data)
    if media_type is None:
        raise AttachmentRefused("unsupported_type", file.name)
    try:
        cleaned = metadata.strip(file.data, media_type)
    except metadata.UnreadableFile:
        raise AttachmentRefused("unreadable", file.name) from None
    content_key = stream.new_content_key()
    padded = stream.pad_to_bucket(cleaned.data)
    header = {
        "v": HEADER_VERSION,
        "key": b64url_encode(content_key),
        "name": file_types.safe_name(file.name, media_type),
        "type": media_type,
        "size": len(cleaned.data),
        "removed": list(cleaned.removed),
    }
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":"))
    return SealedFile(
        header_envelope=seal_for_line(key, "attachment", text, where),
        padded_bytes=len(padded),
        chunks=stream.seal_chunks(content_key, padded),
        removed=cleaned.removed,
        kept=cleaned.found_not_removed,
    )


def store_sealed(
    session: Session,
    pepper: bytes,
    sealed: Sequence[SealedFile],
    *,
    case: Case,
    message: Message | None = None,
    now: datetime,
) -> list[Attachment]:
    """Store files sealed here with their case (flush only)."""
    stored = []
    for file in sealed:
        row = Attachment(
            case_id=case.id,
            message_id=message.id if message is not None else None,
            direction=Direction.FROM_REPORTER,
            # Never uploaded in parts: a random token nobody holds.
            upload_token_hmac=secrets.token_bytes(32),
            owner_hmac=attachments.owner_of_case(pepper, case),
            header_envelope=file.header_envelope,
            padded_bytes=file.padded_bytes,
            chunk_count=len(file.chunks),
            chunks_received=len(file.chunks),
            created_at=now,
            expires_at=None,
        )
        session.add(row)
        session.flush()
        session.add_all(
            AttachmentChunk(attachment_id=row.id, seq=seq, sealed=chunk)
            for seq, chunk in enumerate(file.chunks)
        )
        stored.append(row)
    session.flush()
    return stored
