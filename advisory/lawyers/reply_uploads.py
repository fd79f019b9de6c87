"""A lawyer's files for a reply: sealed in their browser, uploaded here, named by the reply.

The case page's script (static/js/reply-evidence.js, on top of evidence.js) strips each file
the lawyer chooses, pads it, encrypts it under a fresh content key and seals its header twice:
to the reporter's key (only their case code opens it) and to the line (for colleagues). It
announces the file here (`POST /cases/<ref>/reply-uploads`), sends its sealed chunks a batch at
a time (`PUT …/chunks/<first>`) and, after a dropped connection, asks where to go on
(`GET …/progress`); the reply then names its finished uploads (lawyers/cases.py). The upload
token travels in the `Upload-Token` header, never in a URL.

The same service as the reporter's upload API (reporter/uploads.py), for one case: lawyers of
the case's line only (not one who declined it), and only that case's uploads. The evidence
field takes one address for all three requests, so chunks come here too, not to the
reporter's API. Every answer is JSON; a refusal says why in one word (`error`).

Without JavaScript a reply takes no files: the case page needs it for the keys anyway, and
says so beside the reply form.
"""

from __future__ import annotations

from flask import g, jsonify, request
from werkzeug.wrappers import Response

from advisory.auth.access import require_role
from advisory.context import current_settings, db_session, now
from advisory.lawyers.routes import bp
from advisory.models import Case, CaseStatus, Direction, Role
from advisory.services import attachments, casework
from advisory.services.attachments import AttachmentRefused, Progress
from advisory.transaction import unit_of_work

TOKEN_HEADER = "Upload-Token"  # noqa: S105 - a header name
_STATUS = {"unknown_upload": 404, "gap": 409}
Answer = tuple[Response, int]


@bp.post("/cases/<ref:reference>/reply-uploads")
@require_role(Role.LAWYER)
def begin_reply_upload(reference: str) -> Answer:
    """Announce a sealed file for a reply to this case: its padded size."""
    found = _case_of(reference)
    if found is None:
        return jsonify(error="unknown_case"), 404
    case, pepper = found
    if case.status is CaseStatus.CLOSED:
        return jsonify(error="closed"), 409
    size = request.form.get("padded_bytes", "")
    if not (size.isascii() and size.isdigit()):
        return jsonify(error="bad_request"), 400
    with unit_of_work(AttachmentRefused) as work:
        token = attachments.begin_upload(
            db_session(),
            pepper,
            current_settings().attachments,
            owner=attachments.owner_of_case(pepper, case),
            direction=Direction.TO_REPORTER,
            padded_bytes=int(size) if len(size) <= 12 else 0,  # longer: no size we take
            now=now(),
        )
    if work.refusal is not None:
        return _refused(work.refusal)
    return jsonify(upload=token, next=0), 201


@bp.get("/cases/<ref:reference>/reply-uploads/progress")
@require_role(Role.LAWYER)
def reply_upload_progress(reference: str) -> Answer:
    found = _case_of(reference)
    if found is None:
        return jsonify(error="unknown_case"), 404
    case, pepper = found
    token = request.headers.get(TOKEN_HEADER, "")
    try:
        progress = attachments.upload_progress(
            db_session(), pepper, token, now(), owner=attachments.owner_of_case(pepper, case)
        )
    except AttachmentRefused as refusal:
        return _refused(refusal)
    return _progress(progress), 200


@bp.put("/cases/<ref:reference>/reply-uploads/chunks/<int:first>")
@require_role(Role.LAWYER)
def reply_upload_chunks(reference: str, first: int) -> Answer:
    """A batch of sealed chunks, numbered from `first`."""
    found = _case_of(reference)
    if found is None:
        return jsonify(error="unknown_case"), 404
    case, pepper = found
    owner = attachments.owner_of_case(pepper, case)
    token = request.headers.get(TOKEN_HEADER, "")
    body = request.get_data()
    with unit_of_work(AttachmentRefused) as work:
        progress = attachments.add_chunks(
            db_session(), pepper, token, first=first, body=body, now=now(), owner=owner
        )
    if work.refusal is not None:
        if work.refusal.args[0] == "gap":
            where = attachments.upload_progress(db_session(), pepper, token, now(), owner=owner)
            return jsonify(error="gap", next=where.received), 409
        return _refused(work.refusal)
    return _progress(progress), 200


def _case_of(reference: str) -> tuple[Case, bytes] | None:
    """The case, if the signed-in lawyer may work it, and the pepper its uploads are owned
    under; None for a case they may not see (as the case page: "not found")."""
    secrets = current_settings().secrets
    case = casework.case_for_lawyer(db_session(), reference, g.staff) if secrets else None
    if case is None or secrets is None:
        return None
    return case, secrets.pepper


def _progress(progress: Progress) -> Response:
    return jsonify(next=progress.received, chunks=progress.chunk_count)


def _refused(refusal: Exception) -> Answer:
    reason = getattr(refusal, "reason", "bad_request")
    return jsonify(error=reason), _STATUS.get(reason, 400)
