"""What the staff and the anonymous surfaces both say and send of a sealed evidence file: its
stored size in words, and its sealed stream as a download."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Response, stream_with_context
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from advisory.models import Attachment
from advisory.services.attachments import sealed_stream

KIB = 1024
MIB = 1024 * 1024


def approximate_size(padded_bytes: int) -> str:
    """A stored size in words: kilobytes, or megabytes to one decimal, rounded up. The padded
    size is all the server knows of a file's size."""
    if padded_bytes < MIB:
        return _("about %(amount)s KB", amount=format_decimal(max(1, -(-padded_bytes // KIB))))
    tenths = -(-padded_bytes * 10 // MIB)
    return _("about %(amount)s MB", amount=format_decimal(tenths / 10, "#,##0.0"))


def sealed_download(session: Session, attachment: Attachment) -> Response:
    """The file's stored chunks in order, as sealed bytes only a key holder opens. `attachment`
    is detached from `session` (the stream never reloads it)."""
    return Response(
        stream_with_context(_sealed_bytes(session, attachment)),
        mimetype="application/octet-stream",
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            # Opened directly, the address downloads sealed bytes; it never renders.
            "Content-Disposition": "attachment",
        },
    )


def _sealed_bytes(session: Session, attachment: Attachment) -> Iterator[bytes]:
    """Each batch is read in a transaction of its own, closed before its bytes are sent, so a
    slow download holds no connection and no lock."""
    for chunk in sealed_stream(session, attachment):
        session.close()
        yield chunk
