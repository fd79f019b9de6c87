"""Files with a lawyer's reply: sealed in the lawyer's browser to the reporter (a copy to the
line), uploaded for one case, claimed by the reply or not at all, and fetched by the reporter
with the case code only.

The tests play the lawyer's browser: each file padded, streamed under a fresh content key,
its header sealed to the case's reply key and its copy to the line key, as
static/js/reply-evidence.js seals them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import flask_babel
import pytest
from sqlalchemy import select

import crypto
from advisory.auth import sessions
from advisory.models import (
    Attachment,
    AuditEvent,
    Case,
    CaseDecline,
    CaseStatus,
    Line,
    Message,
    Role,
)
from advisory.services import attachments
from advisory.services.attachments import AttachmentRefused, Claim
from advisory.services.replies import record_reply
from advisory.services.sealed_input import KeyDirectory, SealedInputRefused
from advisory.settings import AttachmentLimits
from crypto import stream
from crypto.encoding import b64url_decode, b64url_encode
from tests import reporter_helpers as rh
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW
from tests.metadata_fixtures import png_with_text_chunks
from tests.test_queue import sign_in_as
from tests.test_rate_limits import make_app, post_with_code, visitor  # noqa: F401  (a fixture)

CANARY = b"REPLY-FILE-CANARY-4e9a: the clause to quote back to the employer"
NAME = "svar-vedlegg-CANARY.txt"
TO_REPORTER, LINE_COPY = "line-to-reporter", "line-to-line"
NOT_SEALED = (
    "A file did not arrive sealed to the reporter and the line; nothing was sent."
    " Please attach it again."
)


@pytest.fixture
def line_key(db_session, line):
    return rh.set_up_line_key(db_session)


@pytest.fixture
def lawyer(make_staff):
    return make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)


@pytest.fixture
def signed_in(client, db_session, lawyer):
    sign_in_as(client, db_session, lawyer)
    return client


@pytest.fixture
def code():
    return crypto.generate_case_code()


@dataclass(frozen=True)
class CaseRef:
    """A case by its values: its row is gone from the session once a request has ended."""

    id: int
    reference: str
    line_slug: str


def reported(db_session, app, code: str) -> CaseRef:
    stored = rh.reported_case(db_session, app, code)
    return CaseRef(stored.id, stored.reference, stored.line.slug)


@pytest.fixture
def case(db_session, app, line_key, code) -> CaseRef:
    return reported(db_session, app, code)


@dataclass(frozen=True)
class SealedFile:
    """A file as the lawyer's browser seals it for a reply."""

    padded: bytes
    chunks: list[bytes]
    header: str  # to the reporter's key
    copy: str  # to the line key


def sealed_file(
    case: CaseRef,
    line_key,
    code: str,
    data: bytes = CANARY,
    name: str = NAME,
    media_type: str = "text/plain",
    *,
    header_key=None,
    copy_key=None,
) -> SealedFile:
    """Sealed as reply-evidence.js seals it; `header_key`/`copy_key` seal to another key."""
    file = rh.streamed_file(data, name, media_type)
    header = file.header
    reporter_key = crypto.reporter_private_key(code).public_key()
    to_reporter = crypto.EnvelopeContext(case.line_slug, case.reference, TO_REPORTER)
    to_line = crypto.EnvelopeContext(case.line_slug, case.reference, LINE_COPY)
    return SealedFile(
        padded=file.padded,
        chunks=file.chunks,
        header=crypto.seal("attachment", header, header_key or reporter_key, to_reporter),
        copy=crypto.seal("attachment", header, copy_key or line_public(line_key), to_line),
    )


def said(app, text: str, **variables: Any) -> str:
    """`text` as the pages say it: in the line's default language."""
    with app.test_request_context():
        return str(flask_babel.gettext(text, **variables))


def line_public(line_key):
    return line_key.private_key.public_key()


def csrf_of(client, case: CaseRef) -> str:
    return rh.page_of(client.get(f"/cases/{case.reference}")).input_value("csrf_token")


def begin(client, case: CaseRef, padded_bytes: int, csrf: str | None = None):
    return client.post(
        f"/cases/{case.reference}/reply-uploads",
        data={"padded_bytes": str(padded_bytes)},
        headers={"X-CSRFToken": csrf or csrf_of(client, case)},
    )


def upload(client, case: CaseRef, file: SealedFile) -> str:
    """Announce the file for a reply to `case` and send its chunks; its upload token."""
    csrf = csrf_of(client, case)
    answer = begin(client, case, len(file.padded), csrf)
    assert answer.status_code == 201, answer.get_json()
    token = answer.get_json()["upload"]
    for first in range(0, len(file.chunks), 16):
        sent = client.put(
            f"/cases/{case.reference}/reply-uploads/chunks/{first}",
            data=b"".join(file.chunks[first : first + 16]),
            headers={"X-CSRFToken": csrf, "Upload-Token": token},
        )
        assert sent.status_code == 200, sent.get_json()
    return token


def reply_with(client, case: CaseRef, code: str, line_key, files: list[tuple[str, SealedFile]]):
    """The reply form as case-view.js sends it: both envelopes and the uploads it names."""
    reporter_key = crypto.reporter_private_key(code).public_key()
    where = crypto.EnvelopeContext(case.line_slug, case.reference, TO_REPORTER)
    copy_where = crypto.EnvelopeContext(case.line_slug, case.reference, LINE_COPY)
    data = {
        "csrf_token": csrf_of(client, case),
        "envelope": crypto.seal("reply", "Se vedlegget.", reporter_key, where),
        "line_copy_envelope": crypto.seal(
            "reply", "Se vedlegget.", line_public(line_key), copy_where
        ),
    }
    for index, (token, file) in enumerate(files):
        data[f"attachments-{index}-upload"] = token
        data[f"attachments-{index}-header"] = file.header
        data[f"attachments-{index}-copy"] = file.copy
    return client.post(f"/cases/{case.reference}/reply", data=data)


def stored_attachments(db_session) -> list[Attachment]:
    db_session.expire_all()
    return list(db_session.scalars(select(Attachment).order_by(Attachment.id)))


def replies(db_session) -> list[Message]:
    db_session.expire_all()
    return list(db_session.scalars(select(Message)))


def opened_content(db_session, attachment: Attachment, private_key, where) -> tuple[dict, bytes]:
    header = json.loads(crypto.open("attachment", attachment.header_envelope, private_key, where))
    data = stream.open_chunks(
        b64url_decode(header["key"]), attachments.sealed_stream(db_session, attachment)
    )
    return header, data[: header["size"]]


# --- a lawyer's reply claims its files ------------------------------------------------------


def test_a_reply_claims_its_files_sealed_to_the_reporter_with_a_copy_for_the_line(
    signed_in, db_session, case, code, line_key
):
    file = sealed_file(case, line_key, code, CANARY * 3000)  # three chunks
    token = upload(signed_in, case, file)

    response = reply_with(signed_in, case, code, line_key, [(token, file)])

    assert response.status_code == 302
    (message,) = replies(db_session)
    (stored,) = stored_attachments(db_session)
    assert (stored.case_id, stored.message_id) == (case.id, message.id)
    assert stored.direction == "to_reporter"
    assert (stored.header_envelope, stored.line_copy_envelope) == (file.header, file.copy)
    assert stored.expires_at is None
    # The reporter's code opens the header and the file; the line key opens the copy
    reporter = crypto.reporter_private_key(code)
    where = crypto.EnvelopeContext(case.line_slug, case.reference, TO_REPORTER)
    header, data = opened_content(db_session, stored, reporter, where)
    assert (header["name"], data) == (NAME, CANARY * 3000)
    copy_where = crypto.EnvelopeContext(case.line_slug, case.reference, LINE_COPY)
    copy_text = crypto.open(
        "attachment", stored.line_copy_envelope, line_key.private_key, copy_where
    )
    copy = json.loads(copy_text)
    assert copy["key"] == header["key"]
    # Invariant 1: neither the file nor its name is stored readable
    dump = dump_database(db_session.connection())
    assert CANARY.decode() not in dump
    assert "CANARY" not in dump.replace("REPLY-FILE", "")


def other_key():
    return crypto.generate_keypair().public_key()


@pytest.mark.parametrize(
    "wrong",
    [
        "header to another reporter",
        "header to the line",
        "copy to another line",
        "copy to the reporter",
        "no copy",
    ],
)
def test_a_file_not_sealed_to_this_reporter_and_this_line_is_refused_and_nothing_is_stored(
    signed_in, db_session, app, case, code, line_key, wrong
):
    reporter_key = crypto.reporter_private_key(code).public_key()
    keys = {
        "header to another reporter": {"header_key": other_key()},
        "header to the line": {"header_key": line_public(line_key)},
        "copy to another line": {"copy_key": rh.other_line_key(db_session)},
        "copy to the reporter": {"copy_key": reporter_key},
        "no copy": {},
    }[wrong]
    file = sealed_file(case, line_key, code, **keys)
    if wrong == "no copy":
        file = SealedFile(file.padded, file.chunks, file.header, "")
    token = upload(signed_in, case, file)

    response = reply_with(signed_in, case, code, line_key, [(token, file)])

    # A copy left out is a form the page never sends; the rest reach the service's checks
    assert response.status_code == (400 if wrong == "no copy" else 409)
    if wrong != "no copy":
        refusal = said(app, NOT_SEALED)
        assert refusal in response.get_data(as_text=True)
    assert replies(db_session) == []
    (upload_row,) = stored_attachments(db_session)
    assert upload_row.case_id is None  # still an unclaimed upload, which expires
    assert "case.replied" not in audit_actions(db_session, case)


def audit_actions(db_session, case: CaseRef) -> list[str]:
    return list(
        db_session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_reference == case.reference)
        )
    )


def test_another_cases_upload_is_refused_for_chunks_and_for_the_reply(
    signed_in, db_session, app, case, code, line_key
):
    # Given an upload for a reply to another case of the line
    other = reported(db_session, app, crypto.generate_case_code())
    file = sealed_file(case, line_key, code)
    token = upload(signed_in, other, file)

    # Then this case's address takes no chunks of it, and its reply cannot claim it
    more = signed_in.put(
        f"/cases/{case.reference}/reply-uploads/chunks/0",
        data=file.chunks[0],
        headers={"X-CSRFToken": csrf_of(signed_in, case), "Upload-Token": token},
    )
    progress = signed_in.get(
        f"/cases/{case.reference}/reply-uploads/progress", headers={"Upload-Token": token}
    )
    response = reply_with(signed_in, case, code, line_key, [(token, file)])

    assert (more.status_code, more.get_json()) == (404, {"error": "unknown_upload"})
    assert progress.status_code == 404
    assert response.status_code == 409
    assert replies(db_session) == []
    assert [row.case_id for row in stored_attachments(db_session)] == [None]


def test_a_reporters_upload_cannot_join_a_reply(signed_in, db_session, case, code, line_key):
    # Given a file the reporter uploaded for their next message (same case, their token)
    file = sealed_file(case, line_key, code)
    begun = signed_in.post(
        "/api/v1/uploads",
        data={"lookup_token": rh.lookup_token_text(code), "padded_bytes": len(file.padded)},
        headers={"X-CSRFToken": rh.follow_up_csrf(signed_in)},
    )
    token = begun.get_json()["upload"]
    sent = signed_in.put(
        "/api/v1/uploads/chunks/0",
        data=file.chunks[0],
        headers={"X-CSRFToken": rh.follow_up_csrf(signed_in), "Upload-Token": token},
    )
    assert (begun.status_code, sent.status_code) == (201, 200)

    response = reply_with(signed_in, case, code, line_key, [(token, file)])

    assert response.status_code == 409
    assert replies(db_session) == []


def test_a_reply_takes_no_more_files_than_a_report(
    signed_in, db_session, app, case, code, line_key
):
    file = sealed_file(case, line_key, code)
    tokens = [upload(signed_in, case, file) for _ in range(6)]

    response = reply_with(signed_in, case, code, line_key, [(t, file) for t in tokens])

    assert response.status_code == 409
    refusal = said(app, "You can attach at most %(count)d files.", count=5)
    assert refusal in response.get_data(as_text=True)
    assert replies(db_session) == []


def test_a_file_larger_than_a_report_takes_is_refused_when_announced(signed_in, case):
    too_large = stream.padme(10 * 1024 * 1024 + 1)

    assert begin(signed_in, case, too_large).get_json() == {"error": "bad_size"}
    assert begin(signed_in, case, 1000).get_json() == {"error": "bad_size"}  # not a bucket


def finished_upload(db_session, pepper, case: CaseRef, file: SealedFile, limits) -> Claim:
    """A reply upload announced and sent whole through the service; its claim."""
    token = attachments.begin_upload(
        db_session,
        pepper,
        limits,
        owner=attachments.owner_of_case(pepper, db_session.get(Case, case.id)),
        direction="to_reporter",
        padded_bytes=len(file.padded),
        now=DEFAULT_NOW,
    )
    for first in range(0, len(file.chunks), 16):
        batch = b"".join(file.chunks[first : first + 16])
        attachments.add_chunks(db_session, pepper, token, first=first, body=batch, now=DEFAULT_NOW)
    return Claim(token, file.header, file.copy)


def a_reply(db_session, case: CaseRef, code: str, lawyer) -> Message:
    reporter_key = crypto.reporter_private_key(code).public_key()
    envelope = rh.sealed("reply", "Se vedlegget.", reporter_key, case.reference)
    row = db_session.get(Case, case.id)
    return record_reply(db_session, case=row, envelope=envelope, author=lawyer, now=DEFAULT_NOW)


def claim(db_session, pepper, limits, claims, case, message, code):
    return attachments.claim_reply_uploads(
        db_session,
        pepper,
        KeyDirectory(),
        limits,
        claims=claims,
        case=db_session.get(Case, case.id),
        message=message,
        reporter_key=crypto.reporter_private_key(code).public_key(),
        now=DEFAULT_NOW,
    )


def test_the_limits_of_a_report_hold_for_a_replys_files(
    db_session, app, case, code, line_key, lawyer
):
    # Given two finished reply uploads of 600 KB each, and a line taking 1 MB together
    pepper = rh.pepper_of(app)
    limits = AttachmentLimits(max_files=5, max_file_bytes=1024**2, max_total_bytes=1024**2)
    claims = [
        finished_upload(
            db_session, pepper, case, sealed_file(case, line_key, code, b"x" * 600_000), limits
        )
        for _ in range(2)
    ]
    message = a_reply(db_session, case, code, lawyer)

    # When the reply claims both, then only one
    with pytest.raises(AttachmentRefused, match="too_large"):
        claim(db_session, pepper, limits, claims, case, message, code)
    claimed = claim(db_session, pepper, limits, claims[:1], case, message, code)

    # Then the one is the reply's
    assert [(row.case_id, row.message_id) for row in claimed] == [(case.id, message.id)]


def test_the_service_claims_nothing_when_one_header_is_sealed_to_another_key(
    db_session, app, case, code, line_key, lawyer
):
    pepper = rh.pepper_of(app)
    limits = AttachmentLimits()
    good = finished_upload(db_session, pepper, case, sealed_file(case, line_key, code), limits)
    wrong = sealed_file(case, line_key, code, header_key=other_key())
    bad = finished_upload(db_session, pepper, case, wrong, limits)
    message = a_reply(db_session, case, code, lawyer)

    with pytest.raises(SealedInputRefused):
        claim(db_session, pepper, limits, [good, bad], case, message, code)

    assert [(row.case_id, row.header_envelope) for row in stored_attachments(db_session)] == [
        (None, None),
        (None, None),
    ]


def test_the_reply_form_offers_files_only_to_its_script_and_says_so(signed_in, app, case):
    page = rh.page_of(signed_in.get(f"/cases/{case.reference}"))

    # The field is the script's to show (it uploads to this case's own address) ...
    field = page.by_id("reply-evidence-field")
    assert "hidden" in field.attrs
    assert field.attrs["data-upload-url"] == f"/cases/{case.reference}/reply-uploads"
    assert field.inside(page.one("form", **{"class": "reply-form"}))
    (file_input,) = field.find_all("input", type="file")
    assert "name" not in file_input.attrs  # never posted with the reply
    # ... and without it the page says that files need JavaScript
    (note,) = page.find_all("p", data_reply_files_need_script=None)
    expected = said(
        app,
        "Files can be sent with a reply only with JavaScript on: they are sealed in your browser.",
    )
    assert " ".join(note.text.split()) == expected


def test_files_go_with_a_reply_not_alone(signed_in, db_session, case, code, line_key):
    file = sealed_file(case, line_key, code)
    token = upload(signed_in, case, file)
    data = {
        "csrf_token": csrf_of(signed_in, case),
        "attachments-0-upload": token,
        "attachments-0-header": file.header,
        "attachments-0-copy": file.copy,
    }

    response = signed_in.post(f"/cases/{case.reference}/reply", data=data)

    assert response.status_code == 400
    assert replies(db_session) == []
    assert [row.case_id for row in stored_attachments(db_session)] == [None]


# --- who may upload -------------------------------------------------------------------------


def test_a_closed_case_takes_no_reply_uploads(signed_in, db_session, case):
    csrf = csrf_of(signed_in, case)
    row = db_session.get(Case, case.id)
    row.status, row.closed_at = CaseStatus.CLOSED, DEFAULT_NOW
    db_session.commit()

    assert begin(signed_in, case, 256, csrf).get_json() == {"error": "closed"}


@pytest.mark.parametrize("who", ["declined", "other line"])
def test_a_lawyer_who_declined_the_case_or_of_another_line_cannot_upload(
    client, db_session, case, make_staff, lawyer, who
):
    if who == "declined":
        db_session.add(CaseDecline(case_id=case.id, staff_id=lawyer.id, declined_at=DEFAULT_NOW))
        staff = lawyer
    else:
        rh.other_line_key(db_session)
        other = db_session.scalars(select(Line).where(Line.slug == "other")).one()
        staff = make_staff(
            Role.LAWYER, line_id=other.id, must_change_password=False, totp_confirmed=True
        )
    sign_in_as(client, db_session, staff)
    csrf = rh.page_of(client.get("/queue")).input_value("csrf_token")

    answer = begin(client, case, 256, csrf)

    assert (answer.status_code, answer.get_json()) == (404, {"error": "unknown_case"})


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_never_reach_reply_files(
    client, db_session, case, code, line_key, lawyer, make_staff, role
):
    # Given a reply with a file on the case
    sign_in_as(client, db_session, lawyer)
    file = sealed_file(case, line_key, code)
    token = upload(client, case, file)
    assert reply_with(client, case, code, line_key, [(token, file)]).status_code == 302
    (stored,) = stored_attachments(db_session)
    csrf = csrf_of(client, case)

    # When a coordinator or an administrator asks for it, or to upload one
    other = make_staff(role, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, other)
    reference = case.reference
    answers = [
        client.get(f"/cases/{reference}/evidence/{stored.id}"),
        client.post(f"/cases/{reference}/reply-uploads", headers={"X-CSRFToken": csrf}),
        client.get(f"/cases/{reference}/reply-uploads/progress", headers={"Upload-Token": token}),
        client.put(f"/cases/{reference}/reply-uploads/chunks/0", headers={"X-CSRFToken": csrf}),
    ]

    # Then each is refused, and none of it was read
    assert [answer.status_code for answer in answers] == [403] * 4
    assert all(b"v2." not in answer.data for answer in answers)
    assert "evidence.read" not in audit_actions(db_session, case)


# --- the reporter's inbox --------------------------------------------------------------------


@pytest.fixture
def replied(signed_in, db_session, case, code, line_key) -> tuple[StoredFile, bytes]:
    """A reply with a stripped PNG, as the lawyer's browser sends it; the stored file and
    the bytes it holds."""
    png = png_with_text_chunks()
    file = sealed_file(case, line_key, code, png.stripped, "skjermbilde.png", "image/png")
    token = upload(signed_in, case, file)
    assert reply_with(signed_in, case, code, line_key, [(token, file)]).status_code == 302
    (row,) = stored_attachments(db_session)
    signed_in.delete_cookie(sessions.COOKIE_NAME)  # the reporter's browser has no staff session
    return StoredFile(row.id, row.case_id, row.header_envelope, row.padded_bytes), png.stripped


@dataclass(frozen=True)
class StoredFile:
    id: int
    case_id: int
    header_envelope: str
    padded_bytes: int


def inbox(client, **credential):
    return client.post("/follow-up", data={"csrf_token": rh.follow_up_csrf(client), **credential})


def fetch(client, attachment_id: int, **credential):
    return client.post(
        "/follow-up/file",
        data={"csrf_token": rh.follow_up_csrf(client), "file": str(attachment_id), **credential},
    )


def test_the_inbox_lists_a_replys_files_by_number_and_size_until_opened(client, replied, code):
    stored, _png = replied

    page = rh.page_of(inbox(client, lookup_token=rh.lookup_token_text(code)))

    (item,) = page.find_all("li", data_reply_file=None)
    assert item.inside(page.one("li", **{"class": "message to_reporter"}))
    assert item.attrs["data-attachment-header"] == stored.header_envelope
    assert " ".join(item.find_all("p")[0].text.split()) == "Fil 1 (omtrent 1 KB)"
    assert "skjermbilde" not in page.html  # the name is sealed; the browser opens it
    (form,) = item.find_all("form")
    assert form.attrs["action"] == "/follow-up/file"
    assert [field.value for field in form.find_all("input", name="file")] == [str(stored.id)]


def test_with_javascript_the_reporter_gets_only_the_sealed_stream(
    client, db_session, replied, case, code
):
    stored, png = replied

    answer = fetch(client, stored.id, lookup_token=rh.lookup_token_text(code))

    assert answer.status_code == 200
    assert answer.mimetype == "application/octet-stream"
    assert answer.headers["Content-Disposition"] == "attachment"
    row = db_session.get(Attachment, stored.id)
    assert answer.data == b"".join(attachments.sealed_stream(db_session, row))
    assert png not in answer.data
    reporter = crypto.reporter_private_key(code)
    where = crypto.EnvelopeContext(case.line_slug, case.reference, TO_REPORTER)
    assert opened_content(db_session, row, reporter, where)[1] == png


def test_without_javascript_the_server_opens_the_file_for_that_download_only(
    client, db_session, replied, code, caplog
):
    stored, png = replied
    caplog.set_level(logging.DEBUG)

    page = inbox(client, code=code).get_data(as_text=True)
    answer = fetch(client, stored.id, code=code)

    # The inbox names the file, opened for the page; the button sends the file, opened
    assert "skjermbilde.png" in page
    assert answer.status_code == 200
    assert answer.mimetype == "application/octet-stream"
    assert answer.headers["Content-Disposition"].startswith("attachment; filename=")
    assert "skjermbilde.png" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"].startswith("no-store")
    assert answer.data == png
    # Nothing of it was kept: not in the logs, not in the database
    assert "skjermbilde" not in caplog.text
    assert code not in caplog.text
    dump = dump_database(db_session.connection())
    assert "skjermbilde" not in dump
    assert code not in dump


def test_a_name_no_encoding_can_carry_downloads_without_it(
    signed_in, db_session, client, case, code, line_key
):
    # The lawyer's browser wrote the header: a forged one may name the file with a lone
    # surrogate, which no header can carry
    png = png_with_text_chunks().stripped
    file = sealed_file(case, line_key, code, png, "skjerm\ud800bilde\ue000.png", "image/png")
    token = upload(signed_in, case, file)
    assert reply_with(signed_in, case, code, line_key, [(token, file)]).status_code == 302
    (row,) = stored_attachments(db_session)

    answer = fetch(client, row.id, code=code)

    assert answer.status_code == 200
    assert "skjermbilde.png" in answer.headers["Content-Disposition"]
    assert answer.data == png


@pytest.mark.parametrize(
    "credential",
    [{"code": "7K3M-9QXW-2HDN-5RTV-8CBJ"}, {"lookup_token": b64url_encode(bytes(32))}, {}],
    ids=["wrong code", "wrong token", "none"],
)
def test_a_file_is_handed_out_only_for_a_code_that_opens_its_case(client, replied, credential):
    stored, png = replied

    answer = fetch(client, stored.id, **credential)

    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert png not in answer.data
    assert stored.header_envelope.encode() not in answer.data


def test_a_file_of_another_case_or_from_the_reporter_is_not_handed_out(
    client, db_session, app, replied, code
):
    stored, png = replied
    other_code = crypto.generate_case_code()
    rh.reported_case(db_session, app, other_code)
    own = Attachment(
        case_id=stored.case_id,
        direction="from_reporter",
        upload_token_hmac=b"\x01" * 32,
        owner_hmac=b"\x02" * 32,
        header_envelope=stored.header_envelope,
        padded_bytes=stored.padded_bytes,
        chunk_count=1,
        chunks_received=1,
        created_at=DEFAULT_NOW,
    )
    db_session.add(own)
    db_session.commit()
    own_id = own.id

    elsewhere = fetch(client, stored.id, code=other_code)
    reporters = fetch(client, own_id, code=code)
    nothing = fetch(client, 999_999, lookup_token=rh.lookup_token_text(code))

    problem = said(app, "This file could not be opened with your case code.")
    for answer in (elsewhere, reporters, nothing):
        assert answer.status_code == 404
        assert answer.mimetype == "text/html"
        assert png not in answer.data
        assert problem in answer.get_data(as_text=True)


def test_failed_file_fetches_count_as_failed_lookups(make_app):  # noqa: F811  (the fixture)
    # Given a line that allows two failed lookups a minute
    client = visitor(make_app(ADVISORY_LOOKUP_LIMIT="2 per minute"))

    # When codes that open no case ask for a file
    statuses = [post_with_code(client, "/follow-up/file", file="1").status_code for _ in range(3)]

    # Then they count against the lookup budget like any inbox post
    assert statuses == [400, 400, 429]
