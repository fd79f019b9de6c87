"""Evidence files on the case page: the list, and each file's sealed bytes for the lawyer's browser.

The server holds a file only sealed: its header envelope (content key, name, type, true size)
goes into the case page, and its stream of sealed chunks is fetched from its own address. Only
the lawyer's browser, holding the line key, opens either (static/js/evidence-view.js). Handing
out a file's bytes is a read of case content, so every fetch is an audit event, committed
before the first byte leaves. Lawyers of the case's line only, as for the case page: a file
of another case, or of a case the lawyer may not open, is "not found".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Response, abort, g, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from advisory import audit
from advisory.auth.access import require_role
from advisory.context import db_session, now
from advisory.database import writes_on_get
from advisory.lawyers.routes import bp
from advisory.models import Attachment, Case, Direction, Role, Staff
from advisory.sealed_files import approximate_size, sealed_download
from advisory.services import casework
from advisory.services.attachments import attachments_of
from advisory.services.sealing import LINE_COPY, TO_LINE
from advisory.transaction import unit_of_work

READ = casework.EVIDENCE_READ


@dataclass(frozen=True)
class EvidenceFile:
    """A file as the case page lists it: what the server knows, and the sealed header."""

    number: int  # 1, 2, … in the order the files came
    url: str
    header: str | None  # the envelope the line's keys open; None: sealed to the reporter only
    direction: str  # the direction the header was sealed in (its envelope context)
    padded_bytes: int
    approximate_size: str  # the padded size, in words: all the server knows of its size


@bp.get("/cases/<ref:reference>/evidence/<id:attachment_id>")
@require_role(Role.LAWYER)
@writes_on_get  # every fetch is an audited read of case content
def evidence(reference: str, attachment_id: int) -> Response:
    """The file's sealed stream, as stored: only the lawyer's browser can open it."""
    if request.method == "HEAD":  # a read is on record only when the bytes are asked for
        abort(405)
    session = db_session()
    with unit_of_work():
        attachment = open_evidence(session, reference, attachment_id, g.staff, now=now())
    # Committed: the read is on record before any of the file is sent.
    if attachment is None:
        abort(404)
    return sealed_download(session, attachment)


def open_evidence(
    session: Session, reference: str, attachment_id: int, lawyer: Staff, *, now: datetime
) -> Attachment | None:
    """The case's file if `lawyer` may open the case, with the read recorded (flush only);
    None, with nothing recorded, for a case or file they may not see or that is not there.

    The file comes back detached from the session with what the stream needs loaded, so
    reading its chunks never reloads it.
    """
    case = casework.case_for_lawyer(session, reference, lawyer)
    if case is None:
        return None
    attachment = session.scalars(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case.id)
    ).first()
    if attachment is None:
        return None
    audit.record_for_case(
        session, case, action=READ, now=now, actor=lawyer, detail={"attachment": attachment.id}
    )
    session.expunge(attachment)
    return attachment


@bp.context_processor
def _evidence_on_the_case_page() -> dict[str, object]:
    return {"evidence_of": evidence_of}


def evidence_of(case: Case) -> list[EvidenceFile]:
    """The case's files as its page lists them, in the order they came."""
    return [
        _listed(case, number, attachment)
        for number, attachment in enumerate(attachments_of(db_session(), case), start=1)
    ]


def _listed(case: Case, number: int, attachment: Attachment) -> EvidenceFile:
    from_reporter = attachment.direction is Direction.FROM_REPORTER
    return EvidenceFile(
        number=number,
        url=url_for("queue.evidence", reference=case.reference, attachment_id=attachment.id),
        # A lawyer's file is sealed to the reporter, with a copy for the line.
        header=attachment.header_envelope if from_reporter else attachment.line_copy_envelope,
        direction=TO_LINE if from_reporter else LINE_COPY,
        padded_bytes=attachment.padded_bytes,
        approximate_size=approximate_size(attachment.padded_bytes),
    )
