"""Evidence files with a report: sealed before they are stored, with the report or not at all.

With JavaScript the browser announces each sealed file, sends its chunks in batches (a lost
batch is sent again), and the report names its finished uploads. Without it the files come
in the report's own multipart post, are stripped and sealed here in memory, and stored.
Either way the server holds no name, type, exact size or readable byte of a file.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from werkzeug import formparser
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

import crypto
from advisory.metadata import FINDING_KEYS
from advisory.models import Attachment, AttachmentChunk, Case, CaseStatus, Message, ReceiptLink
from advisory.reporter.finding_words import finding_words
from advisory.services import attachment_sealing
from advisory.services.attachments import UPLOAD_LIFETIME
from advisory.services.retention import apply_retention
from crypto import stream
from crypto.encoding import b64url_decode
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW
from tests.metadata_fixtures import jpeg_with_metadata, pdf_with_info
from tests.reporter_helpers import (
    NARRATIVE,
    STORED,
    browser_fields,
    count,
    follow_up_csrf,
    form_reference,
    get_report,
    line_public_key,
    lookup_token_text,
    page_of,
    report_data,
    reported_case,
    streamed_file,
)

CANARY = b"FILE-CANARY-7c1d: the director's message at 23:14"
FORM_TOKEN = "a-report-form-token-0001"  # as a page makes one: 20 to 64 of [A-Za-z0-9_-]


def sealed_file(line_key, reference: str, data: bytes, name: str, media_type: str):
    """A file as the page seals it: padded, streamed under a fresh key, header to the line."""
    file = streamed_file(data, name, media_type)
    where = crypto.EnvelopeContext("main", reference, "reporter-to-line")
    envelope = crypto.seal("attachment", file.header, line_public_key(line_key), where)
    return file.padded, file.chunks, envelope


def api(client, method: str, path: str, *, token: str | None = None, **kwargs):
    headers = {"X-CSRFToken": follow_up_csrf(client)}
    if token is not None:
        headers["Upload-Token"] = token
    return client.open(path, method=method, headers=headers, **kwargs)


def upload(client, submission_token: str, padded: bytes, chunks: list[bytes]) -> str:
    answer = api(
        client,
        "POST",
        "/api/v1/uploads",
        data={"submission_token": submission_token, "padded_bytes": str(len(padded))},
    )
    assert answer.status_code == 201, answer.get_json()
    token = answer.get_json()["upload"]
    for first in range(0, len(chunks), 16):
        body = b"".join(chunks[first : first + 16])
        sent = api(client, "PUT", f"/api/v1/uploads/chunks/{first}", token=token, data=body)
        assert sent.status_code == 200, sent.get_json()
    return token


def browser_report(client, line_key, files):
    """The report page's form as the script sends it, with uploads for `files`."""
    page = get_report(client)
    reference = form_reference(page)
    fields = browser_fields(
        line_key, crypto.generate_case_code(), narrative=NARRATIVE, reference=reference
    )
    data = report_data(page, **fields)
    for index, (content, name, media_type) in enumerate(files):
        padded, chunks, envelope = sealed_file(line_key, reference, content, name, media_type)
        data[f"attachments-{index}-upload"] = upload(
            client, data["submission_token"], padded, chunks
        )
        data[f"attachments-{index}-header"] = envelope
    return data


# --- with JavaScript: sealed uploads, claimed by the report ----------------------------------


def test_a_report_claims_its_sealed_uploads_and_a_lawyer_can_open_them(
    client, db_session, line_key
):
    content = CANARY * 3000  # about 150 KB: three chunks
    data = browser_report(client, line_key, [(content, "melding.txt", "text/plain")])

    answer = client.post("/report", data=data)

    assert answer.status_code == STORED
    attachment = db_session.scalars(select(Attachment)).one()
    case = db_session.scalars(select(Case)).one()
    assert attachment.case_id == case.id
    assert attachment.expires_at is None
    # A lawyer's browser opens the header with the line key, then the stream
    where = crypto.EnvelopeContext(case.line.slug, case.reference, "reporter-to-line")
    header = json.loads(
        crypto.open("attachment", attachment.header_envelope, line_key.private_key, where)
    )
    chunks = db_session.scalars(
        select(AttachmentChunk.sealed)
        .where(AttachmentChunk.attachment_id == attachment.id)
        .order_by(AttachmentChunk.seq)
    ).all()
    opened = stream.open_chunks(b64url_decode(header["key"]), chunks)
    assert opened[: header["size"]] == content
    assert header["name"] == "melding.txt"
    assert CANARY not in dump_database(db_session.connection()).encode()


def test_a_report_naming_an_unfinished_upload_is_not_stored_and_the_upload_waits(
    client, db_session, line_key
):
    page = get_report(client)
    reference = form_reference(page)
    data = report_data(
        page, **browser_fields(line_key, crypto.generate_case_code(), reference=reference)
    )
    padded, chunks, envelope = sealed_file(
        line_key, reference, CANARY * 3000, "a.txt", "text/plain"
    )
    answer = api(
        client,
        "POST",
        "/api/v1/uploads",
        data={"submission_token": data["submission_token"], "padded_bytes": str(len(padded))},
    )
    token = answer.get_json()["upload"]
    api(client, "PUT", "/api/v1/uploads/chunks/0", token=token, data=chunks[0])
    data |= {"attachments-0-upload": token, "attachments-0-header": envelope}

    refused = client.post("/report", data=data)

    assert refused.status_code == 400
    assert page_of(refused).find_all(id="evidence-error") or page_of(refused).find_all(
        id="error-summary"
    )
    assert count(db_session, Case) == 0
    # The upload goes on where it stopped, and then the same form is stored with it
    progress = api(client, "GET", "/api/v1/uploads/progress", token=token).get_json()
    assert progress == {"next": 1, "chunks": len(chunks)}
    rest = b"".join(chunks[1:])
    assert api(client, "PUT", "/api/v1/uploads/chunks/1", token=token, data=rest).status_code == 200
    assert client.post("/report", data=data).status_code == STORED
    assert db_session.scalars(select(Attachment)).one().case_id is not None


def test_a_batch_sent_again_is_taken_once_and_a_gap_is_refused(client, db_session, line_key):
    padded, chunks, _ = sealed_file(line_key, "AAAA-AAAA", CANARY * 3000, "a.txt", "text/plain")
    answer = api(
        client,
        "POST",
        "/api/v1/uploads",
        data={"submission_token": FORM_TOKEN, "padded_bytes": str(len(padded))},
    )
    token = answer.get_json()["upload"]

    first = api(client, "PUT", "/api/v1/uploads/chunks/0", token=token, data=chunks[0])
    again = api(client, "PUT", "/api/v1/uploads/chunks/0", token=token, data=chunks[0])
    gap = api(client, "PUT", "/api/v1/uploads/chunks/2", token=token, data=chunks[2])

    assert first.get_json()["next"] == 1
    assert again.get_json()["next"] == 1
    assert gap.status_code == 409
    assert gap.get_json() == {"error": "gap", "next": 1}
    assert count(db_session, AttachmentChunk) == 1


@pytest.mark.parametrize(
    ("padded_bytes", "reason"),
    [
        ("0", "bad_size"),
        ("1000", "bad_size"),
        (str(11 * 2**20), "bad_size"),
        ("9" * 30, "bad_size"),
        ("-5", "bad_request"),
        ("", "bad_request"),
    ],
)
def test_an_upload_of_a_size_no_page_announces_is_refused(client, padded_bytes, reason):
    answer = api(
        client,
        "POST",
        "/api/v1/uploads",
        data={"submission_token": FORM_TOKEN, "padded_bytes": padded_bytes},
    )

    assert answer.status_code == 400
    assert answer.get_json()["error"] == reason


@pytest.mark.parametrize(
    "body",
    [b"", b"x" * 100, b"x" * (stream.SEALED_CHUNK_BYTES + 1)],
    ids=["empty", "short", "ragged"],
)
def test_chunks_of_sizes_the_stream_cannot_have_are_refused(client, db_session, body):
    answer = api(
        client,
        "POST",
        "/api/v1/uploads",
        data={"submission_token": FORM_TOKEN, "padded_bytes": str(stream.padme(200_000))},
    )
    token = answer.get_json()["upload"]

    refused = api(client, "PUT", "/api/v1/uploads/chunks/0", token=token, data=body)

    assert refused.status_code == 400
    assert count(db_session, AttachmentChunk) == 0


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 5000])
def test_an_unknown_upload_token_is_a_404(client, token):
    answer = api(client, "PUT", "/api/v1/uploads/chunks/0", token=token, data=b"x" * 16)

    assert answer.status_code == 404


def test_another_forms_upload_cannot_be_claimed(client, db_session, line_key):
    data = browser_report(client, line_key, [(CANARY, "a.txt", "text/plain")])
    stranger = get_report(client)
    theirs = report_data(
        stranger,
        **browser_fields(line_key, crypto.generate_case_code(), reference=form_reference(stranger)),
    )
    theirs |= {
        "attachments-0-upload": data["attachments-0-upload"],
        "attachments-0-header": data["attachments-0-header"],
    }

    assert client.post("/report", data=theirs).status_code == 400
    assert count(db_session, Case) == 0


def test_a_header_sealed_to_another_key_is_refused(client, db_session, line_key):
    data = browser_report(client, line_key, [(CANARY, "a.txt", "text/plain")])
    stranger = crypto.generate_keypair().public_key()
    data["attachments-0-header"] = crypto.seal("attachment", "{}", stranger)

    assert client.post("/report", data=data).status_code == 400
    assert count(db_session, Case) == 0


def test_unclaimed_uploads_go_when_their_time_is_up(app, client, db_session, line_key, settings):
    data = browser_report(client, line_key, [(CANARY, "a.txt", "text/plain")])
    assert data  # uploaded, never sent

    apply_retention(db_session, settings, DEFAULT_NOW + UPLOAD_LIFETIME + timedelta(seconds=1))
    db_session.commit()

    assert count(db_session, Attachment) == 0
    assert count(db_session, AttachmentChunk) == 0


# --- without JavaScript: the files in the report's own post ---------------------------------


def post_with_files(client, files, **fields):
    """The report form with files, encoded here: the test client would spool a large body
    to a temporary file of its own."""
    page = get_report(client)
    values = MultiDict(report_data(page, narrative=NARRATIVE, **fields))
    for content, name in files:
        values.add("evidence", FileStorage(BytesIO(content), filename=name))
    boundary, body = encode_multipart(values)
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post("/report", data=body, content_type=content_type)


def test_without_javascript_files_are_stripped_and_sealed_on_arrival(client, db_session, line_key):
    photo = jpeg_with_metadata()
    answer = post_with_files(client, [(photo.original, "IMG_2041.jpg"), (CANARY, "notat.txt")])

    assert answer.status_code == STORED
    case = db_session.scalars(select(Case)).one()
    rows = db_session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [row.case_id for row in rows] == [case.id, case.id]
    where = crypto.EnvelopeContext(case.line.slug, case.reference, "reporter-to-line")
    opened = []
    for row in rows:
        header = json.loads(
            crypto.open("attachment", row.header_envelope, line_key.private_key, where)
        )
        chunks = db_session.scalars(
            select(AttachmentChunk.sealed)
            .where(AttachmentChunk.attachment_id == row.id)
            .order_by(AttachmentChunk.seq)
        ).all()
        content = stream.open_chunks(b64url_decode(header["key"]), chunks)[: header["size"]]
        opened.append((header["name"], header["type"], content, tuple(header["removed"])))
    assert opened[0] == ("IMG_2041.jpg", "image/jpeg", photo.stripped, photo.removed)
    # The receipt says what was taken out of each file, naming no file
    receipt = page_of(client.get(answer.headers["Location"]))
    files = [
        " ".join(item.text.split()) for item in receipt.by_id("files-heading").parent.find_all("li")
    ]
    assert files[0].startswith("Fil 1:")
    assert "GPS-posisjon" in files[0]
    assert files[1] == "Fil 2: ingenting å fjerne"
    assert "IMG_2041" not in receipt.html
    assert opened[1] == ("notat.txt", "text/plain", CANARY, ())
    dump = dump_database(db_session.connection())
    assert CANARY.decode() not in dump
    assert "IMG_2041" not in dump


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([(b"MZ\x90\x00 not a picture", "tool.exe")], "tool.exe"),
        ([(b"\xff\xd8\xff\xe1\x00\x02", "broken.jpg")], "broken.jpg"),
        ([(b"x" * (10 * 2**20 + 1), "huge.txt")], "huge.txt"),
        ([(b"a", f"{n}.txt") for n in range(6)], "5"),
    ],
    ids=["type", "damaged", "too-large", "too-many"],
)
def test_a_file_refused_says_why_keeps_the_text_and_stores_nothing(
    client, db_session, line_key, files, message
):
    answer = post_with_files(client, files, kind="abuse_of_power")

    assert answer.status_code == 400
    page = page_of(answer)
    assert message in page.by_id("evidence-error").text
    assert page.by_id("narrative").text.strip() == NARRATIVE
    assert page.checked("kind") == ["abuse_of_power"]
    assert count(db_session, Case) == 0
    assert count(db_session, Attachment) == 0


def test_file_parts_are_never_spooled_to_a_temporary_file(
    client, db_session, line_key, monkeypatch
):
    def refuse(*args, **kwargs):
        raise AssertionError("a file part was about to be written to a temporary file")

    # Where Werkzeug's form parser makes its temporary files; the patch is seen to bite.
    monkeypatch.setattr(formparser, "SpooledTemporaryFile", refuse)
    with pytest.raises(AssertionError, match="temporary file"):
        formparser.default_stream_factory(10**6, "image/png", "shot.png")
    big = CANARY * 40_000  # about 2 MB, well past the 500 KB Werkzeug keeps in memory

    answer = post_with_files(client, [(big, "long.txt")])

    assert answer.status_code == STORED
    assert count(db_session, Attachment) == 1


# --- with a follow-up message ----------------------------------------------------------------


@pytest.fixture
def reported(app, db_session, line_key):
    """A case and its code; the case's id, reference and line slug read before requests end
    the session."""
    code = crypto.generate_case_code()
    case = reported_case(db_session, app, code)
    return code, SimpleNamespace(id=case.id, reference=case.reference, slug=case.line.slug)


def test_a_message_without_javascript_brings_its_files(client, db_session, line_key, reported):
    code, case = reported
    values = MultiDict({"csrf_token": follow_up_csrf(client), "code": code, "message": ""})
    values.add("evidence", FileStorage(BytesIO(CANARY), filename="skjermbilde.txt"))
    boundary, body = encode_multipart(values)

    answer = client.post(
        "/follow-up/message", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert answer.status_code == 200
    message = db_session.scalars(select(Message)).one()
    attachment = db_session.scalars(select(Attachment)).one()
    assert (attachment.case_id, attachment.message_id) == (case.id, message.id)
    where = crypto.EnvelopeContext(case.slug, case.reference, "reporter-to-line")
    header = json.loads(
        crypto.open("attachment", attachment.header_envelope, line_key.private_key, where)
    )
    assert header["name"] == "skjermbilde.txt"
    assert CANARY.decode() not in dump_database(db_session.connection())


def test_a_message_names_the_uploads_it_brings_by_its_lookup_token(
    client, db_session, line_key, reported
):
    code, case = reported
    token = lookup_token_text(code)
    padded, chunks, header = sealed_file(line_key, case.reference, CANARY, "a.txt", "text/plain")
    started = api(
        client,
        "POST",
        "/api/v1/uploads",
        data={"lookup_token": token, "padded_bytes": str(len(padded))},
    )
    upload_token = started.get_json()["upload"]
    api(client, "PUT", "/api/v1/uploads/chunks/0", token=upload_token, data=chunks[0])
    line_public = line_public_key(line_key)
    where = crypto.EnvelopeContext("main", case.reference, "reporter-to-line")
    sealed_text = crypto.seal("message", "Se vedlegget.", line_public, where)

    answer = client.post(
        "/follow-up/message",
        data={
            "csrf_token": follow_up_csrf(client),
            "lookup_token": token,
            "message_envelope": sealed_text,
            "attachments-0-upload": upload_token,
            "attachments-0-header": header,
        },
    )

    assert answer.status_code == 200
    message = db_session.scalars(select(Message)).one()
    assert db_session.scalars(select(Attachment)).one().message_id == message.id


def test_an_upload_for_a_case_that_does_not_exist_is_a_404(client, db_session, line_key):
    answer = api(
        client,
        "POST",
        "/api/v1/uploads",
        data={
            "lookup_token": lookup_token_text(crypto.generate_case_code()),
            "padded_bytes": str(stream.padme(1000)),
        },
    )

    assert answer.status_code == 404
    assert count(db_session, Attachment) == 0


# --- files go with their case ----------------------------------------------------------------


def test_erasing_a_case_deletes_its_files_and_their_chunks(client, db_session, line_key, reported):
    code, _case = reported
    values = MultiDict({"csrf_token": follow_up_csrf(client), "code": code, "message": "Se fil."})
    values.add("evidence", FileStorage(BytesIO(CANARY), filename="a.txt"))
    boundary, body = encode_multipart(values)
    client.post(
        "/follow-up/message", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    assert count(db_session, AttachmentChunk) == 1

    client.post(
        "/follow-up/erase",
        data={"csrf_token": follow_up_csrf(client), "code": code, "confirm": "yes"},
    )

    assert count(db_session, Case) == 0
    assert count(db_session, Attachment) == 0
    assert count(db_session, AttachmentChunk) == 0


def test_retention_deletes_a_closed_cases_files(client, db_session, line_key, settings):
    post_with_files(client, [(CANARY, "a.txt")])
    case = db_session.scalars(select(Case)).one()
    case.status = CaseStatus.CLOSED
    case.closed_at = DEFAULT_NOW
    db_session.commit()

    apply_retention(db_session, settings, DEFAULT_NOW + timedelta(days=settings.retention_days + 1))
    db_session.commit()

    assert count(db_session, Case) == 0
    assert count(db_session, AttachmentChunk) == 0


def test_every_finding_has_words_for_the_pages(app):
    with app.test_request_context():
        words = finding_words()

    assert list(words) == [f"finding-{key}" for key in FINDING_KEYS]
    assert all(words.values())


# --- a canary in a file is nowhere readable --------------------------------------------------


def files_holding(folder: Path, secret: bytes) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and secret in p.read_bytes()]


def test_a_canary_in_a_file_or_its_name_is_in_no_row_log_or_temporary_file(
    client, db_session, line_key, caplog, tmp_path, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    # Any temporary file Python or Werkzeug makes goes to a folder this test can search.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    canary = f"FILE-CANARY-{secrets.token_hex(6)}".encode()
    content = canary + secrets.token_bytes(900_000)  # past what Werkzeug keeps in memory
    name = f"{canary.decode()}.txt"  # a file's name is case content too

    # Without JavaScript: in the report's own post
    assert post_with_files(client, [(content, name)]).status_code == 400  # not text
    assert post_with_files(client, [(canary * 30_000, name)]).status_code == STORED
    # With JavaScript: sealed uploads
    data = browser_report(client, line_key, [(canary * 30_000, name, "text/plain")])
    assert client.post("/report", data=data).status_code == STORED

    assert count(db_session, Attachment) == 2
    assert canary.decode() not in dump_database(db_session.connection())
    assert canary.decode() not in caplog.text
    assert files_holding(tmp_path, canary) == []


@pytest.mark.parametrize("form_token", ["short", "a\x00" * 12, "x" * 65, "ääääääääääääääääääääää"])
def test_an_upload_for_a_form_token_no_page_makes_is_refused(client, db_session, form_token):
    answer = api(
        client,
        "POST",
        "/api/v1/uploads",
        data={"submission_token": form_token, "padded_bytes": str(stream.padme(1000))},
    )

    assert answer.status_code == 400
    assert count(db_session, Attachment) == 0


def test_an_empty_file_is_refused_as_the_browser_refuses_it(client, db_session, line_key):
    answer = post_with_files(client, [(b"", "tom.txt")])

    assert answer.status_code == 400
    assert "tom.txt" in page_of(answer).by_id("evidence-error").text
    assert count(db_session, Attachment) == 0


def test_the_same_form_with_files_sent_twice_is_one_case_with_its_files_once(
    client, db_session, line_key
):
    page = get_report(client)
    values = MultiDict(report_data(page, narrative=NARRATIVE))
    values.add("evidence", FileStorage(BytesIO(CANARY), filename="a.txt"))
    boundary, body = encode_multipart(values)
    content_type = f"multipart/form-data; boundary={boundary}"

    first = client.post("/report", data=body, content_type=content_type)
    again = client.post("/report", data=body, content_type=content_type)

    assert (first.status_code, again.status_code) == (STORED, STORED)
    assert count(db_session, Case) == 1
    assert count(db_session, Attachment) == 1


def test_a_browser_form_sent_twice_claims_its_uploads_once(client, db_session, line_key):
    data = browser_report(client, line_key, [(CANARY, "a.txt", "text/plain")])

    first = client.post("/report", data=data)
    again = client.post("/report", data=data)

    assert (first.status_code, again.status_code) == (STORED, STORED)
    assert count(db_session, Case) == 1
    assert count(db_session, Attachment) == 1


def test_a_message_takes_sealed_uploads_or_posted_files_never_both_past_the_limit(
    client, db_session, line_key, reported, settings
):
    code, case = reported
    limit = settings.attachments.max_files
    files = [
        sealed_file(line_key, case.reference, CANARY, "a.txt", "text/plain") for _ in range(limit)
    ]
    token = lookup_token_text(code)
    values = MultiDict({"csrf_token": follow_up_csrf(client), "lookup_token": token})
    for index, (padded, chunks, header) in enumerate(files):
        started = api(
            client,
            "POST",
            "/api/v1/uploads",
            data={"lookup_token": token, "padded_bytes": str(len(padded))},
        )
        upload_token = started.get_json()["upload"]
        api(client, "PUT", "/api/v1/uploads/chunks/0", token=upload_token, data=chunks[0])
        values.add(f"attachments-{index}-upload", upload_token)
        values.add(f"attachments-{index}-header", header)
    # and as many files again in the post itself, as no page of ours sends beside uploads
    for index in range(limit):
        values.add("evidence", FileStorage(BytesIO(CANARY), filename=f"{index}.txt"))
    boundary, body = encode_multipart(values)

    answer = client.post(
        "/follow-up/message", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert answer.status_code == 200
    stored = db_session.scalars(select(Attachment).where(Attachment.case_id.is_not(None))).all()
    assert len(stored) == limit  # the sealed uploads; the posted files are not read


def test_without_javascript_the_receipt_says_what_a_pdf_still_holds_and_the_row_hides_it(
    client, db_session, line_key
):
    pdf = pdf_with_info()

    answer = post_with_files(client, [(pdf.original, "brev.pdf")])

    receipt = page_of(client.get(answer.headers["Location"]))
    (item,) = receipt.by_id("files-heading").parent.find_all("li")
    assert "navnet på opphavspersonen" in item.text  # the author's name, still in the PDF
    assert "brev.pdf" not in receipt.html
    # The link's note on the files is sealed under the token's key, like the code
    (stored,) = db_session.scalars(select(ReceiptLink.removed_from_files)).all()
    assert stored.startswith("r1.")
    assert "author" not in stored


def test_a_form_sent_again_does_not_strip_and_seal_its_files_again(
    client, db_session, line_key, monkeypatch
):
    sealed = []
    original = attachment_sealing._sealed
    monkeypatch.setattr(
        attachment_sealing, "_sealed", lambda *args: sealed.append(1) or original(*args)
    )
    page = get_report(client)
    values = MultiDict(report_data(page, narrative=NARRATIVE))
    values.add("evidence", FileStorage(BytesIO(CANARY), filename="a.txt"))
    boundary, body = encode_multipart(values)
    content_type = f"multipart/form-data; boundary={boundary}"

    for _ in range(2):
        assert client.post("/report", data=body, content_type=content_type).status_code == STORED

    assert len(sealed) == 1
