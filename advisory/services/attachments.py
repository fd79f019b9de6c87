"""Evidence files: sealed uploads in chunks, claimed by a report or message, read by lawyers.

A reporter's browser seals each file before any of it leaves (static/js/attachments.js): it
removes identifying metadata, pads the file to a size bucket, encrypts it as a stream of
AES-256-GCM chunks under a fresh content key (crypto/stream.py), and seals that key with the
file's name, type and true size in a header envelope to the line. The server sees only
sealed chunks of bucketed sizes:

- `begin_upload` announces a file of `padded_bytes`; the answer is its upload token.
- `add_chunks` takes its sealed chunks in order, a batch at a time; a batch lost on a bad
  connection is simply sent again, and `upload_progress` says where to go on.
- `claim_uploads` joins finished uploads to the case or message being stored, with their
  header envelopes, in the same transaction: all of them, or none and no case either.
- `claim_reply_uploads` does the same for a lawyer's reply: its files were sealed in the
  lawyer's browser with the header to the reporter's key and a copy to the line, and the
  reporter opens them in the inbox with their case code (`reply_files`, `open_reply_file`).

Without JavaScript `seal_on_arrival` (services/attachment_sealing.py) does the browser's
part in memory. Every function here flushes only; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

import crypto
from advisory.models import Attachment, AttachmentChunk, Case, Direction, Message
from advisory.services.refusal import Refusal
from advisory.services.sealed_input import KeyDirectory, sealed_to
from advisory.settings import AttachmentLimits
from crypto.encoding import b64url_decode_or_none, b64url_encode
from crypto.stream import CHUNK_BYTES, SEALED_CHUNK_BYTES, chunk_count, padme

# An upload not claimed by then is deleted (the retention sweep): long enough to finish on a
# slow phone connection, or to come back to after it dropped.
UPLOAD_LIFETIME = timedelta(hours=6)
TOKEN_BYTES = 32
# A batch of chunks in one request: a megabyte, small enough to resend cheaply.
CHUNKS_PER_BATCH = 16
MAX_BATCH_BYTES = CHUNKS_PER_BATCH * SEALED_CHUNK_BYTES
_TOKEN_LABEL = "attachment-upload"  # noqa: S105 - an HKDF label, not a secret
_OWNER_LABEL = "attachment-owner"


class AttachmentRefused(Refusal):
    """An upload or claim no page of ours sends, or a file past the limits or of a type the
    line does not take; `reason` says which, `file_name` which file (when one is to blame)."""

    def __init__(self, reason: str, file_name: str | None = None) -> None:
        super().__init__(reason)
        self.file_name = file_name


@dataclass(frozen=True)
class Progress:
    received: int  # the next chunk the server expects
    chunk_count: int


@dataclass(frozen=True)
class Claim:
    """A finished upload the page names, with the header envelope sealed for it."""

    upload_token: str
    header_envelope: str
    line_copy_envelope: str | None = None


# --- who may upload, and claim -------------------------------------------------------------


def owner_of_report(pepper: bytes, submission_token: str) -> bytes:
    """The owner of a report form's uploads: only that form's report can claim them."""
    return _owner(pepper, f"report\0{submission_token}")


def owner_of_case(pepper: bytes, case: Case) -> bytes:
    """The owner of uploads for a case's later messages and replies."""
    return _owner(pepper, f"case\0{case.reference}")


def _owner(pepper: bytes, name: str) -> bytes:
    key = crypto.derive_subkey(pepper, _OWNER_LABEL)
    return hmac.new(key, name.encode(), hashlib.sha256).digest()


def _token_hmac(pepper: bytes, raw: bytes) -> bytes:
    key = crypto.derive_subkey(pepper, _TOKEN_LABEL)
    return hmac.new(key, raw, hashlib.sha256).digest()


# --- uploading -----------------------------------------------------------------------------


def largest_padded(limits: AttachmentLimits) -> int:
    """The padded size of the largest file the limits allow."""
    return padme(limits.max_file_bytes)


def begin_upload(
    session: Session,
    pepper: bytes,
    limits: AttachmentLimits,
    *,
    owner: bytes,
    direction: Direction,
    padded_bytes: int,
    now: datetime,
) -> str:
    """Announce a sealed file of `padded_bytes` (a size bucket); its upload token."""
    if not 0 < padded_bytes <= largest_padded(limits) or padme(padded_bytes) != padded_bytes:
        raise AttachmentRefused("bad_size")
    pending = session.scalar(
        select(func.count())
        .select_from(Attachment)
        .where(
            Attachment.owner_hmac == owner,
            Attachment.case_id.is_(None),
            # A case's reporter and its lawyers upload for the same owner: neither's
            # unfinished files take the other's room.
            Attachment.direction == direction,
        )
    )
    # Room to replace every file once (a removed or re-recorded one), no more.
    if (pending or 0) >= 2 * limits.max_files:
        raise AttachmentRefused("too_many")
    raw = secrets.token_bytes(TOKEN_BYTES)
    session.add(
        Attachment(
            direction=direction,
            upload_token_hmac=_token_hmac(pepper, raw),
            owner_hmac=owner,
            padded_bytes=padded_bytes,
            chunk_count=chunk_count(padded_bytes),
            chunks_received=0,
            created_at=now,
            expires_at=now + UPLOAD_LIFETIME,
        )
    )
    session.flush()
    return b64url_encode(raw)


def upload_progress(
    session: Session, pepper: bytes, token: str, now: datetime, *, owner: bytes | None = None
) -> Progress:
    """Where the upload stands; given an `owner`, only that owner's upload is known."""
    upload = _open_upload(session, pepper, token, now, owner)
    return Progress(upload.chunks_received, upload.chunk_count)


def add_chunks(
    session: Session,
    pepper: bytes,
    token: str,
    *,
    first: int,
    body: bytes,
    now: datetime,
    owner: bytes | None = None,
) -> Progress:
    """Store the sealed chunks in `body`, numbered from `first`, after those already here.

    A batch sent again (its answer was lost) is taken as done; one that would leave a gap
    is refused with "gap", and the answer's progress says where to go on. Given an
    `owner`, only that owner's upload is known.
    """
    upload = _open_upload(session, pepper, token, now, owner, lock=True)
    sizes = _chunk_sizes(upload, first, len(body))
    if first > upload.chunks_received:
        raise AttachmentRefused("gap")
    offset = 0
    for seq, size in enumerate(sizes, start=first):
        if seq >= upload.chunks_received:
            session.add(
                AttachmentChunk(
                    attachment_id=upload.id, seq=seq, sealed=body[offset : offset + size]
                )
            )
        offset += size
    received = max(upload.chunks_received, first + len(sizes))
    session.execute(
        update(Attachment).where(Attachment.id == upload.id).values(chunks_received=received)
    )
    session.flush()
    return Progress(received, upload.chunk_count)


def _chunk_sizes(upload: Attachment, first: int, length: int) -> list[int]:
    """The sizes the chunks of a batch must have: full ones, and the stream's last one as
    the padded size makes it; a batch that does not cut into whole chunks is refused."""
    last_seq = upload.chunk_count - 1
    last_size = upload.padded_bytes - last_seq * CHUNK_BYTES + (SEALED_CHUNK_BYTES - CHUNK_BYTES)
    sizes: list[int] = []
    remaining = length
    seq = first
    while remaining > 0:
        if seq > last_seq:
            raise AttachmentRefused("too_long")
        size = last_size if seq == last_seq else SEALED_CHUNK_BYTES
        if remaining < size:
            raise AttachmentRefused("bad_chunk")
        sizes.append(size)
        remaining -= size
        seq += 1
    if not sizes or len(sizes) > CHUNKS_PER_BATCH:
        raise AttachmentRefused("bad_chunk")
    return sizes


def _open_upload(
    session: Session,
    pepper: bytes,
    token: str,
    now: datetime,
    owner: bytes | None = None,
    *,
    lock: bool = False,
) -> Attachment:
    """The unclaimed, unexpired upload of `token`. With `lock`, its row stays locked until the
    commit (PostgreSQL; SQLite's writers take turns anyway), so two copies of one request,
    which read it and then write what they read, take turns instead of colliding."""
    raw = b64url_decode_or_none(token)
    if raw is None or len(raw) != TOKEN_BYTES:
        raise AttachmentRefused("unknown_upload")
    query = select(Attachment).where(Attachment.upload_token_hmac == _token_hmac(pepper, raw))
    upload = session.scalars(query.with_for_update() if lock else query).first()
    # A claimed upload takes nothing more: its case holds it as it was claimed.
    if upload is None or upload.case_id is not None or _expired(upload, now):
        raise AttachmentRefused("unknown_upload")
    if owner is not None and not hmac.compare_digest(upload.owner_hmac, owner):
        raise AttachmentRefused("unknown_upload")
    return upload


def _expired(upload: Attachment, now: datetime) -> bool:
    return upload.expires_at is not None and upload.expires_at <= now


# --- claiming ------------------------------------------------------------------------------


def claim_uploads(
    session: Session,
    pepper: bytes,
    directory: KeyDirectory,
    limits: AttachmentLimits,
    *,
    owner: bytes,
    claims: Sequence[Claim],
    case: Case,
    message: Message | None = None,
    now: datetime,
) -> list[Attachment]:
    """Join the reporter's finished uploads `claims` names to `case` (and `message`), each
    with its header envelope sealed to the case's line (flush only).

    Raises AttachmentRefused for more files than allowed, an upload that is not this
    owner's, unfinished or named twice, or more bytes than allowed; SealedInputRefused for a
    header no page of ours sealed. Nothing is claimed then.
    """

    def sealed(claim: Claim) -> tuple[str, str | None]:
        header = _header(session, directory, claim.header_envelope, case)
        copy = claim.line_copy_envelope
        return header, _header(session, directory, copy, case) if copy else None

    return _claim(
        session,
        pepper,
        limits,
        _Claiming(owner, Direction.FROM_REPORTER, case, message),
        claims,
        sealed,
        now,
    )


def claim_reply_uploads(
    session: Session,
    pepper: bytes,
    directory: KeyDirectory,
    limits: AttachmentLimits,
    *,
    claims: Sequence[Claim],
    case: Case,
    message: Message,
    reporter_key: X25519PublicKey,
    now: datetime,
) -> list[Attachment]:
    """Join a lawyer's finished uploads `claims` names to their reply `message` (flush only).

    Each header must be sealed to exactly the case's reply key `reporter_key` (only the
    reporter's case code opens it), and its copy to a key of the case's line (for the line's
    lawyers): the limits and refusals are those of `claim_uploads`, and nothing is claimed
    when one of them is refused.
    """

    def sealed(claim: Claim) -> tuple[str, str | None]:
        header = sealed_to(claim.header_envelope, "attachment", reporter_key)
        copy = claim.line_copy_envelope or ""
        return header, directory.sealed_for_line(session, copy, "attachment", case.line_id)

    owner = owner_of_case(pepper, case)
    return _claim(
        session,
        pepper,
        limits,
        _Claiming(owner, Direction.TO_REPORTER, case, message),
        claims,
        sealed,
        now,
    )


@dataclass(frozen=True)
class _Claiming:
    """Whose uploads are claimed, which way they go, and what they join."""

    owner: bytes
    direction: Direction
    case: Case
    message: Message | None


def _claim(
    session: Session,
    pepper: bytes,
    limits: AttachmentLimits,
    claiming: _Claiming,
    claims: Sequence[Claim],
    sealed: Callable[[Claim], tuple[str, str | None]],
    now: datetime,
) -> list[Attachment]:
    """Check every claim and header first, then join the uploads (flush only)."""
    if len(claims) > limits.max_files:
        raise AttachmentRefused("too_many")
    if len({claim.upload_token for claim in claims}) != len(claims):
        raise AttachmentRefused("unknown_upload")
    uploads = [_claimable(session, pepper, claim.upload_token, claiming, now) for claim in claims]
    # True sizes are sealed; padding adds at most an eighth (crypto.stream.padme).
    if sum(upload.padded_bytes for upload in uploads) > limits.max_total_bytes * 9 // 8:
        raise AttachmentRefused("too_large")
    headers = [sealed(claim) for claim in claims]
    for upload, (header, copy) in zip(uploads, headers, strict=True):
        upload.header_envelope = header
        upload.line_copy_envelope = copy
        upload.case_id = claiming.case.id
        upload.message_id = claiming.message.id if claiming.message is not None else None
        upload.expires_at = None
    session.flush()
    return uploads


def _claimable(
    session: Session, pepper: bytes, token: str, claiming: _Claiming, now: datetime
) -> Attachment:
    upload = _open_upload(session, pepper, token, now, claiming.owner, lock=True)
    # A reporter's upload never joins a reply, nor a lawyer's a reporter's message.
    if upload.direction is not claiming.direction:
        raise AttachmentRefused("unknown_upload")
    if upload.chunks_received != upload.chunk_count:
        raise AttachmentRefused("incomplete")
    return upload


def _header(session: Session, directory: KeyDirectory, envelope: str, case: Case) -> str:
    return directory.sealed_for_line(session, envelope, "attachment", case.line_id)


# --- reading and forgetting ----------------------------------------------------------------


def attachments_of(session: Session, case: Case) -> list[Attachment]:
    """A case's files, in the order they came."""
    return list(
        session.scalars(
            select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
        )
    )


def sealed_stream(session: Session, attachment: Attachment) -> Iterator[bytes]:
    """The file's sealed chunks in order, read a few at a time (the file is never whole here)."""
    seq = 0
    while seq < attachment.chunk_count:
        rows = session.scalars(
            select(AttachmentChunk.sealed)
            .where(AttachmentChunk.attachment_id == attachment.id, AttachmentChunk.seq >= seq)
            .order_by(AttachmentChunk.seq)
            .limit(CHUNKS_PER_BATCH)
        ).all()
        if not rows:
            return
        yield from rows
        seq += len(rows)


def delete_expired_uploads(session: Session, now: datetime) -> int:
    """Uploads never claimed, past their time, go with their chunks."""
    result = session.execute(
        delete(Attachment).where(Attachment.case_id.is_(None), Attachment.expires_at <= now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
