"""The upload API the report form's script uses for evidence: sealed chunks, resumable.

The page's script strips, pads and seals each file, then announces it (`POST
/api/v1/uploads`), sends its sealed chunks a batch at a time (`PUT /api/v1/uploads/chunks/N`)
and, after a dropped connection, asks where to go on (`GET /api/v1/uploads/progress`). The
upload token travels in the `Upload-Token` header, never in a URL. The report itself names
its finished uploads when it is sent; until then they belong to no case. Every answer is
JSON; a refusal says why in one word (`error`) and where the upload stands (`next`).
"""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.wrappers import Response

from advisory.context import current_settings, db_session, now
from advisory.models import Direction
from advisory.ratelimit import count_failed_lookup
from advisory.reporter.forms import is_form_token
from advisory.reporter.routes import bp
from advisory.services import attachments
from advisory.services.attachments import AttachmentRefused, Progress
from advisory.services.follow_up import find_case
from advisory.services.sealed_input import SealedInputRefused, checked_lookup_token
from advisory.transaction import unit_of_work

TOKEN_HEADER = "Upload-Token"  # noqa: S105 - a header name
_STATUS = {"unknown_upload": 404, "gap": 409}


@bp.post("/api/v1/uploads")
def begin_upload() -> tuple[Response, int]:
    """Announce a sealed file: its padded size, and what it is for: the report form (its
    submission token) or an open case's next message (its lookup token)."""
    settings = current_settings()
    if settings.secrets is None:
        return jsonify(error="not_ready"), 503
    pepper = settings.secrets.pepper
    size = request.form.get("padded_bytes", "")
    owner = _owner(pepper)
    if owner is None or not (size.isascii() and size.isdigit()):
        return jsonify(error="bad_request"), 400
    if owner == b"":
        return jsonify(error="unknown_case"), 404
    with unit_of_work(AttachmentRefused) as work:
        token = attachments.begin_upload(
            db_session(),
            pepper,
            settings.attachments,
            owner=owner,
            direction=Direction.FROM_REPORTER,
            padded_bytes=int(size) if len(size) <= 12 else 0,  # longer: no size we take
            now=now(),
        )
    if work.refusal is not None:
        return _refused(work.refusal, None)
    return jsonify(upload=token, next=0), 201


def _owner(pepper: bytes) -> bytes | None:
    """Who the upload is for: None for a request that names nothing usable, b"" for a lookup
    token that opens no case (which counts against the lookup limit, as any failed lookup)."""
    form_token = request.form.get("submission_token", "")
    if form_token:
        return (
            attachments.owner_of_report(pepper, form_token) if is_form_token(form_token) else None
        )
    try:
        token = checked_lookup_token(request.form.get("lookup_token", ""))
    except SealedInputRefused:
        return None
    case = find_case(db_session(), pepper, token)
    if case is None:
        count_failed_lookup()
        return b""
    return attachments.owner_of_case(pepper, case)


@bp.get("/api/v1/uploads/progress")
def upload_progress() -> tuple[Response, int]:
    settings = current_settings()
    if settings.secrets is None:
        return jsonify(error="not_ready"), 503
    token = request.headers.get(TOKEN_HEADER, "")
    try:
        progress = attachments.upload_progress(db_session(), settings.secrets.pepper, token, now())
    except AttachmentRefused as refusal:
        return _refused(refusal, None)
    return _progress(progress), 200


@bp.put("/api/v1/uploads/chunks/<int:first>")
def upload_chunks(first: int) -> tuple[Response, int]:
    """A batch of sealed chunks, numbered from `first`."""
    settings = current_settings()
    if settings.secrets is None:
        return jsonify(error="not_ready"), 503
    pepper = settings.secrets.pepper
    token = request.headers.get(TOKEN_HEADER, "")
    with unit_of_work(AttachmentRefused) as work:
        progress = attachments.add_chunks(
            db_session(), pepper, token, first=first, body=request.get_data(), now=now()
        )
    if work.refusal is not None:
        return _refused(work.refusal, token)
    return _progress(progress), 200


def _progress(progress: Progress) -> Response:
    return jsonify(next=progress.received, chunks=progress.chunk_count)


def _refused(refusal: Exception, token: str | None) -> tuple[Response, int]:
    reason = getattr(refusal, "reason", "bad_request")
    body: dict[str, object] = {"error": reason}
    if token and reason == "gap":
        pepper = current_settings().secrets.pepper  # type: ignore[union-attr]
        progress = attachments.upload_progress(db_session(), pepper, token, now())
        body["next"] = progress.received
    return jsonify(body), _STATUS.get(reason, 400)
