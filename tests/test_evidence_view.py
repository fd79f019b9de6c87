"""Evidence files on the lawyer's side: the case page lists them sealed, and each file's
sealed stream goes to the case's lawyers only, every fetch an audited read."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

import crypto
from advisory import sealed_files
from advisory.models import (
    Attachment,
    AttachmentChunk,
    AuditEvent,
    Case,
    CaseDecline,
    Direction,
    Line,
    Role,
    Staff,
)
from advisory.services.attachment_sealing import ArrivedFile, seal_files, store_sealed
from advisory.services.attachments import sealed_stream
from advisory.services.sealing import LINE_COPY, TO_LINE, case_context
from advisory.settings import AttachmentLimits
from crypto import stream
from crypto.encoding import b64url_decode
from tests import reporter_helpers as rh
from tests.conftest import DEFAULT_NOW
from tests.metadata_fixtures import png_with_text_chunks
from tests.test_queue import sign_in_as

CANARY = b"EVIDENCE-CANARY-51f0: the contract clause they changed"
NAME = "kontrakt-utkast-CANARY.txt"
PEPPER = bytes(32)


@pytest.fixture(autouse=True)
def line_key(db_session, line):
    return rh.set_up_line_key(db_session)


@pytest.fixture
def lawyer(make_staff) -> Staff:
    return make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)


@pytest.fixture
def signed_in(client, db_session, lawyer):
    sign_in_as(client, db_session, lawyer)
    return client


def with_files(db_session, line_key, case: Case, *files: tuple[bytes, str]) -> list[Attachment]:
    """The files stored with the case as the server seals them on arrival, committed."""
    sealed = seal_files(
        [ArrivedFile(name, data) for data, name in files],
        line_key.line_key,
        case_context(case, TO_LINE),
        AttachmentLimits(),
    )
    rows = store_sealed(db_session, PEPPER, sealed, case=case, now=DEFAULT_NOW)
    db_session.commit()
    return rows


def stored_chunks(db_session, attachment_id: int) -> list[bytes]:
    return list(
        db_session.scalars(
            select(AttachmentChunk.sealed)
            .where(AttachmentChunk.attachment_id == attachment_id)
            .order_by(AttachmentChunk.seq)
        )
    )


def reads(db_session) -> list[tuple[str | None, int | None, dict[str, object]]]:
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "evidence.read").order_by(AuditEvent.id)
    )
    return [(e.case_reference, e.actor_staff_id, json.loads(e.detail)) for e in events]


def url(case: Case, attachment_id: int | str) -> str:
    """Read before any request: a request ends the session its rows came from."""
    return f"/cases/{case.reference}/evidence/{attachment_id}"


# --- fetching a file ---------------------------------------------------------------------------


def test_a_lawyer_of_the_line_gets_the_sealed_stream_as_stored_and_each_fetch_is_audited(
    signed_in, db_session, make_case, line_key, lawyer
):
    case = make_case()
    content = CANARY * 4000  # about 220 KB: four chunks
    (attachment,) = with_files(db_session, line_key, case, (content, NAME))
    attachment_id, reference, lawyer_id = attachment.id, case.reference, lawyer.id
    where = crypto.EnvelopeContext(case.line.slug, reference, TO_LINE)
    header_envelope, address = attachment.header_envelope, url(case, attachment_id)
    chunks = stored_chunks(db_session, attachment_id)
    assert len(chunks) == 4

    first = signed_in.get(address)
    first_body = first.get_data()  # the stream is consumed before the next request
    second = signed_in.get(address)

    assert first.status_code == 200
    assert first.mimetype == "application/octet-stream"
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Content-Disposition"] == "attachment"
    assert first_body == b"".join(chunks)
    assert second.get_data() == first_body
    assert CANARY not in first_body
    # One event per fetch, naming the file and nothing of it
    assert reads(db_session) == [(reference, lawyer_id, {"attachment": attachment_id})] * 2
    details = " ".join(e.detail for e in db_session.scalars(select(AuditEvent)))
    assert "CANARY" not in details
    # What the lawyer's browser does with it: the header opens with the line key, the stream
    # with the header's key.
    header = json.loads(crypto.open("attachment", header_envelope, line_key.private_key, where))
    sealed = [
        first_body[i : i + stream.SEALED_CHUNK_BYTES]
        for i in range(0, len(first_body), stream.SEALED_CHUNK_BYTES)
    ]
    assert stream.open_chunks(b64url_decode(header["key"]), sealed)[: header["size"]] == content


def test_the_read_is_on_record_before_the_first_byte_is_sent_and_no_read_is_held_open(
    signed_in, db_session, make_case, line_key, monkeypatch
):
    case = make_case()
    content = CANARY * 25_000  # about 1.4 MB: 21 chunks, in two batches
    (attachment,) = with_files(db_session, line_key, case, (content, NAME))
    address, chunks = url(case, attachment.id), stored_chunks(db_session, attachment.id)
    assert len(chunks) > 16
    linked_before_streaming = []

    def watched(session, attachment):
        # Events are numbered and linked into the chain only as their transaction commits.
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.read"))
        linked_before_streaming.append(event.one().hash is not None)
        yield from sealed_stream(session, attachment)

    monkeypatch.setattr(sealed_files, "sealed_stream", watched)

    response = signed_in.get(address, buffered=False)
    assert response.is_streamed
    received = []
    for chunk in response.response:
        # Each batch was read and its transaction closed before its bytes went out.
        assert not db_session().in_transaction()
        received.append(chunk)
    response.close()

    assert linked_before_streaming == [True]
    assert received == chunks


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_never_get_a_files_bytes(
    client, db_session, make_case, make_staff, line_key, role
):
    case = make_case()
    (attachment,) = with_files(db_session, line_key, case, (CANARY, NAME))
    address, chunk = url(case, attachment.id), stored_chunks(db_session, attachment.id)[0]
    sign_in_as(client, db_session, make_staff(role))

    response = client.get(address)

    assert response.status_code == 403
    assert chunk not in response.get_data()
    assert reads(db_session) == []


def test_a_lawyer_of_another_line_or_who_declined_gets_not_found(
    client, db_session, make_case, make_staff, line_key, lawyer
):
    other_line = Line(slug="other", name="Other", created_at=DEFAULT_NOW)
    db_session.add(other_line)
    db_session.flush()
    outsider = make_staff(Role.LAWYER, line_id=other_line.id)
    case = make_case()
    (attachment,) = with_files(db_session, line_key, case, (CANARY, NAME))
    address, chunk = url(case, attachment.id), stored_chunks(db_session, attachment.id)[0]
    db_session.add(CaseDecline(case_id=case.id, staff_id=lawyer.id, declined_at=DEFAULT_NOW))
    lawyer_id = lawyer.id
    sign_in_as(client, db_session, outsider)
    outsiders = client.get(address)
    sign_in_as(client, db_session, db_session.get(Staff, lawyer_id))
    declined = client.get(address)

    for response in (outsiders, declined):
        assert response.status_code == 404
        assert chunk not in response.get_data()
    assert reads(db_session) == []


def test_anonymous_visitors_are_sent_to_sign_in(client, db_session, make_case, line_key):
    case = make_case()
    (attachment,) = with_files(db_session, line_key, case, (CANARY, NAME))

    response = client.get(url(case, attachment.id))  # the first request: nothing read after

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
    assert reads(db_session) == []


@pytest.mark.parametrize(
    "attachment_id",
    ["0", "-1", "abc", "999999", str(2**31), str(2**63), str(2**64 + 1), "9" * 40],
)
def test_an_id_that_names_no_file_of_the_case_is_not_found(
    signed_in, db_session, make_case, line_key, attachment_id
):
    case = make_case()
    with_files(db_session, line_key, case, (CANARY, NAME))

    response = signed_in.get(url(case, attachment_id))

    assert response.status_code == 404
    assert reads(db_session) == []


def test_a_file_of_another_case_is_not_found_under_this_one(
    signed_in, db_session, make_case, line_key
):
    case, other = make_case(), make_case()
    (theirs,) = with_files(db_session, line_key, other, (CANARY, NAME))
    # An upload still under way belongs to no case at all.
    unclaimed = Attachment(
        direction=theirs.direction,
        upload_token_hmac=bytes(range(32)),
        owner_hmac=PEPPER,
        padded_bytes=theirs.padded_bytes,
        chunk_count=theirs.chunk_count,
        chunks_received=0,
        created_at=DEFAULT_NOW,
        expires_at=DEFAULT_NOW,
    )
    db_session.add(unclaimed)
    db_session.commit()
    addresses = [
        url(case, theirs.id),
        url(case, unclaimed.id),
        f"/cases/NONE-XIST/evidence/{theirs.id}",
    ]

    for address in addresses:
        assert signed_in.get(address).status_code == 404
    assert reads(db_session) == []


# --- the case page -----------------------------------------------------------------------------


def evidence_items(page: rh.Page) -> list[rh.Element]:
    section = page.by_id("evidence")
    return [el for el in section.find_all("li") if "evidence-file" in el.classes]


def test_the_case_page_lists_the_files_sealed_in_order_and_never_a_name(
    signed_in, db_session, make_case, line_key
):
    case = make_case()
    photo_name, note_name = "IMG_CANARY_2041.png", "notat-CANARY.txt"
    png = png_with_text_chunks().original
    rows = with_files(db_session, line_key, case, (png, photo_name), (CANARY, note_name))
    addresses = [url(case, row.id) for row in rows]
    headers = [row.header_envelope for row in rows]
    padded = [str(row.padded_bytes) for row in rows]
    reference = case.reference

    response = signed_in.get(f"/cases/{reference}")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = rh.page_of(response)
    section = page.by_id("evidence")
    assert section.attrs["data-reference"] == reference
    items = evidence_items(page)
    assert [item.attrs["data-evidence-url"] for item in items] == addresses
    assert [item.attrs["data-attachment-header"] for item in items] == headers
    assert {item.attrs["data-direction"] for item in items} == {TO_LINE}
    assert [item.attrs["data-padded-bytes"] for item in items] == padded
    # Not opened as text by the case page's script: that is for envelopes of text only.
    assert all("data-envelope" not in item.attrs for item in items)
    for name in (photo_name, note_name, "CANARY"):
        assert name not in html
    # The page names the files by number and padded size only.
    assert "Fil 1" in html
    assert "omtrent 1 KB" in html
    # The context the page gives is the one the headers open in.
    where = crypto.EnvelopeContext(
        section.attrs["data-line-slug"], section.attrs["data-reference"], TO_LINE
    )
    names = [
        json.loads(
            crypto.open(
                "attachment", item.attrs["data-attachment-header"], line_key.private_key, where
            )
        )["name"]
        for item in items
    ]
    assert names == [photo_name, note_name]
    # Listing files is no read of them.
    assert reads(db_session) == []


def test_a_lawyers_file_is_listed_with_the_lines_copy_and_a_damaged_header_as_such(
    signed_in, db_session, make_case, line_key
):
    case = make_case()
    first, second, third = with_files(
        db_session, line_key, case, (CANARY, "a.txt"), (CANARY, "b.txt"), (CANARY, "c.txt")
    )
    copy = rh.sealed(
        "attachment",
        '{"v":1}',
        rh.line_public_key(line_key),
        case.reference,
        line_slug=case.line.slug,
        direction=LINE_COPY,
    )
    first.direction = second.direction = Direction.TO_REPORTER
    first.line_copy_envelope = copy
    third.header_envelope = "v1.not-an-envelope"
    db_session.commit()

    page = rh.page_of(signed_in.get(f"/cases/{case.reference}"))

    items = evidence_items(page)
    assert items[0].attrs["data-attachment-header"] == copy
    assert items[0].attrs["data-direction"] == LINE_COPY
    assert "data-attachment-header" not in items[1].attrs  # sealed to the reporter only
    assert "data-attachment-header" not in items[2].attrs
    assert [el for el in items[2].find_all("p") if "unopenable" in el.classes]


def test_a_case_without_files_says_so(signed_in, db_session, make_case):
    case = make_case()
    db_session.commit()

    page = rh.page_of(signed_in.get(f"/cases/{case.reference}"))

    assert evidence_items(page) == []
    assert "Ingen filer." in page.html


def test_repeated_file_reads_are_one_trail_line_that_says_so(
    signed_in, db_session, make_case, line_key
):
    case = make_case()
    (attachment,) = with_files(db_session, line_key, case, (CANARY, NAME))
    address, page_address = url(case, attachment.id), f"/cases/{case.reference}"
    for _ in range(2):
        signed_in.get(address).get_data()

    trail = rh.page_of(signed_in.get(page_address)).by_id("trail-heading").parent.text

    assert "åpnet dokumentasjonsfiler 2 ganger" in trail
    assert "åpnet saken 2 ganger" not in trail
