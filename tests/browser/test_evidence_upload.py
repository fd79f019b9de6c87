"""Evidence files with JavaScript: cleaned, sealed and uploaded by the browser, in Chromium.

The page takes over the report form's file field (static/js/evidence.js): each chosen file
is known by its bytes, stripped of identifying metadata (the list says what went), sealed
under a fresh key and uploaded in sealed chunks before the report is sent, which then only
names the uploads. What left the browser is read from Playwright's view of every request,
and what the server stored is opened with the line's private key, as a lawyer's browser
would open it.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import flask_babel
from playwright.sync_api import Browser, Page, Request, Route, expect
from sqlalchemy import func, select

import crypto
from advisory.extensions import db
from advisory.file_types import download_name, safe_name, sniff
from advisory.models import Attachment, AttachmentChunk, Case
from advisory.services.attachments import attachments_of, sealed_stream
from crypto import stream
from crypto.encoding import b64url_decode
from tests.browser.test_reporter_flows import (
    browsing,
    case_code_shown,
    choose,
    open_report_form,
    send_report,
)
from tests.metadata_fixtures import (
    ALL,
    HOSTILE,
    Fixture,
    jpeg_with_metadata,
    png_with_text_chunks,
)
from tests.reporter_helpers import pepper_of

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

UPLOADS = "/api/v1/uploads"
UNSUPPORTED = (
    "The file %(name)s is not a type we take: pictures (JPEG, PNG, WebP, GIF), PDF, plain text"
    " or sound."
)


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    body: bytes


@dataclass
class Traffic:
    """Every request with a body that the page sent to the live server, in order."""

    origin: str
    sent: list[Sent] = field(default_factory=list)

    def record(self, request: Request) -> None:
        if request.url.startswith(self.origin) and request.method in {"POST", "PUT"}:
            body = request.post_data_buffer or b""
            self.sent.append(Sent(request.method, urlsplit(request.url).path, body))

    def to(self, path: str, method: str = "POST") -> list[Sent]:
        return [s for s in self.sent if s.path == path and s.method == method]

    def chunk_puts(self) -> list[Sent]:
        return [s for s in self.sent if s.method == "PUT" and s.path.startswith(UPLOADS)]

    def carrying(self, secret: bytes) -> list[str]:
        """Where `secret` left the browser: each request whose body holds it."""
        return [f"{s.method} {s.path}" for s in self.sent if secret in s.body]


@contextmanager
def report_form(
    browser: Browser, live_server: LiveServer, *, before: str | None = None
) -> Iterator[tuple[Page, Traffic]]:
    """The enhanced report form in a fresh context, and everything it sends. `before`: a
    script to run in the page before its own (Playwright's fake clock, say)."""
    with browsing(browser, live_server) as (page, _wire):
        if before == "clock":
            page.clock.install()
        traffic = Traffic(live_server.url)
        page.on("request", traffic.record)
        open_report_form(page, live_server)
        yield page, traffic


def said(live_server: LiveServer, text: str, **variables: Any) -> str:
    """`text` as the page says it: in the line's default language."""
    with live_server.app.test_request_context():
        return str(flask_babel.gettext(text, **variables))


def fill_in(page: Page, narrative: str) -> None:
    choose(page, "kind", "abuse_of_power")
    page.fill("#narrative", narrative)
    choose(page, "contact_preference", "inbox")


def attach(page: Page, folder: Path, *files: tuple[str, bytes]) -> None:
    """Choose files in the evidence field, as the reporter's file picker would."""
    paths = []
    for name, content in files:
        path = folder / name
        path.write_bytes(content)
        paths.append(path)
    page.set_input_files("#evidence", paths)


def entry(page: Page, name: str) -> Any:
    return page.locator(".evidence-file", has_text=name)


def expect_uploaded(page: Page, live_server: LiveServer, name: str) -> None:
    expect(entry(page, name).locator(".evidence-status")).to_have_text(
        said(live_server, "Encrypted and uploaded."), timeout=10_000
    )


@dataclass(frozen=True)
class OpenedFile:
    name: str
    type: str
    removed: tuple[str, ...]
    content: bytes
    chunks_stored: int
    chunk_count: int


def stored_files(live_server: LiveServer, code: str) -> list[OpenedFile]:
    """The case's files, opened as a lawyer's browser opens them: the header with the line
    key, then the stream with the header's key."""
    digest = crypto.lookup_hmac(pepper_of(live_server.app), crypto.lookup_token(code))
    with live_server.app.app_context():
        case = db.session.scalars(select(Case).where(Case.reporter_lookup_hmac == digest)).one()
        where = crypto.EnvelopeContext(case.line.slug, case.reference, "reporter-to-line")
        opened = []
        for attachment in attachments_of(db.session, case):
            assert attachment.header_envelope is not None
            header = json.loads(
                crypto.open(
                    "attachment",
                    attachment.header_envelope,
                    live_server.line_private_key,
                    where,
                )
            )
            chunks = list(sealed_stream(db.session, attachment))
            content = stream.open_chunks(b64url_decode(header["key"]), chunks)
            assert set(content[header["size"] :]) <= {0}  # only the padding after it
            stored = db.session.scalar(
                select(func.count()).where(AttachmentChunk.attachment_id == attachment.id)
            )
            opened.append(
                OpenedFile(
                    name=header["name"],
                    type=header["type"],
                    removed=tuple(header["removed"]),
                    content=content[: header["size"]],
                    chunks_stored=int(stored or 0),
                    chunk_count=attachment.chunk_count,
                )
            )
        return opened


def cases_stored(live_server: LiveServer) -> int:
    with live_server.app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Case)) or 0)


def uploads_stored(live_server: LiveServer) -> int:
    with live_server.app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(Attachment)) or 0)


def secrets_of(fixture: Fixture) -> list[bytes]:
    return [fixture.original, fixture.stripped, *fixture.canaries]


# --- files that arrive --------------------------------------------------------------------------


def test_pictures_are_cleaned_sealed_and_uploaded_and_only_sealed_chunks_leave(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    photo = jpeg_with_metadata()
    screenshot = png_with_text_chunks()
    note = f"NOTE-CANARY-{secrets.token_hex(4)}".encode()
    narrative = f"CANARY-EVIDENCE-{secrets.token_hex(4)}: see the photo."
    with report_form(browser, live_server) as (page, traffic):
        # Given a filled-in report and a photo with its GPS position
        fill_in(page, narrative)
        attach(page, tmp_path, ("IMG_2041.jpg", photo.original))
        # Then the page says in words what it took out of the photo
        findings = entry(page, "IMG_2041.jpg").locator(".evidence-findings")
        expect(findings).to_contain_text(said(live_server, "GPS position"))
        expect(findings).to_contain_text(said(live_server, "camera make and model"))
        expect(findings).to_contain_text("GPS")

        # When a screenshot and a note are added later, and the note removed again
        attach(page, tmp_path, ("screenshot.png", screenshot.original), ("note.txt", note))
        expect(entry(page, "screenshot.png").locator(".evidence-findings")).to_contain_text(
            said(live_server, "text notes")
        )
        expect(entry(page, "note.txt").locator(".evidence-findings")).to_have_text(
            said(live_server, "Nothing to remove.")
        )
        remove = said(live_server, "Remove")
        entry(page, "note.txt").get_by_role("button", name=f"{remove} note.txt").click()
        expect(page.locator(".evidence-file")).to_have_count(2)
        # and each file is uploaded before the report is sent
        expect_uploaded(page, live_server, "IMG_2041.jpg")
        expect_uploaded(page, live_server, "screenshot.png")
        puts_before_sending = len(traffic.chunk_puts())
        send_report(page)
        code = case_code_shown(page)

    # Then the report named its uploads and carried no file
    (report,) = traffic.to("/report")
    assert b'name="attachments-0-upload"' in report.body
    assert b'name="attachments-1-header"' in report.body
    assert b'name="attachments-2-upload"' not in report.body
    assert b'name="evidence"' not in report.body
    assert len(traffic.chunk_puts()) == puts_before_sending  # nothing left to upload
    # and no request carried a file, its cleaned bytes, what was in it, or its name
    for secret in [*secrets_of(photo), *secrets_of(screenshot), note, b"IMG_2041"]:
        assert traffic.carrying(secret) == [], secret
    assert traffic.carrying(narrative.encode()) == []
    # And the line's key opens exactly the cleaned files, under their names and types
    files = stored_files(live_server, code)
    assert [(f.name, f.type, f.content, f.removed) for f in files] == [
        ("IMG_2041.jpg", "image/jpeg", photo.stripped, photo.removed),
        ("screenshot.png", "image/png", screenshot.stripped, screenshot.removed),
    ]


def test_an_interrupted_upload_goes_on_where_it_stopped_and_arrives_whole(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    # About 1.2 MB of text: 19 sealed chunks, sent as a batch of 16 and a batch of 3
    content = (f"CANARY-RESUME-{secrets.token_hex(4)} the minutes of the meeting. " * 30_000)[
        :1_200_000
    ].encode()
    interrupted: list[str] = []

    def cut_each_batch_once(route: Route) -> None:
        first = route.request.url.rsplit("/", 1)[-1]
        if route.request.method != "PUT" or first in interrupted:
            route.continue_()
            return
        interrupted.append(first)
        if first == "0":
            route.abort("connectionreset")  # the first batch is lost on its way
        else:
            route.fetch()  # the second arrives, but its answer is lost
            route.abort("connectionreset")

    with report_form(browser, live_server) as (page, traffic):
        page.route(f"**{UPLOADS}/chunks/*", cut_each_batch_once)
        fill_in(page, "An interrupted upload.")
        # Given a file chosen while the connection is down: the page waits for it
        page.context.set_offline(True)
        attach(page, tmp_path, ("minutes.txt", content))
        status = entry(page, "minutes.txt").locator(".evidence-status")
        expect(status).to_have_text(said(live_server, "Waiting for the connection…"))
        # When it is back, and then each batch is cut once on its way
        page.context.set_offline(False)
        expect_uploaded(page, live_server, "minutes.txt")
        send_report(page)
        code = case_code_shown(page)

    assert interrupted == ["0", "16"]
    # The lost batch was sent again; the one that had arrived was not
    assert [s.path.rsplit("/", 1)[-1] for s in traffic.chunk_puts()] == ["0", "0", "16"]
    assert traffic.carrying(content[:40]) == []
    (opened,) = stored_files(live_server, code)
    assert opened.content == content
    assert opened.chunks_stored == opened.chunk_count == 19


def test_without_webcrypto_the_file_field_stays_plain_and_the_server_seals_the_file(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    photo = jpeg_with_metadata()
    with browsing(browser, live_server) as (page, _wire):
        page.add_init_script(
            "Object.defineProperty(window, 'isSecureContext', { get: () => false })"
        )
        traffic = Traffic(live_server.url)
        page.on("request", traffic.record)
        open_report_form(page, live_server, enhanced=False)
        fill_in(page, "Sent without the browser sealing it.")

        attach(page, tmp_path, ("IMG_2041.jpg", photo.original))
        send_report(page)
        code = case_code_shown(page)

    # The file went with the form itself (nothing was uploaded apart), as the page says,
    # and was cleaned and sealed on arrival
    assert [s.path for s in traffic.sent] == ["/report"]
    (opened,) = stored_files(live_server, code)
    assert (opened.name, opened.content, opened.removed) == (
        "IMG_2041.jpg",
        photo.stripped,
        photo.removed,
    )


# --- files that do not ---------------------------------------------------------------------------


def test_a_file_of_another_type_is_refused_in_the_page_and_the_text_is_kept(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    narrative = "The text stays while a file is refused."
    with report_form(browser, live_server) as (page, traffic):
        fill_in(page, narrative)

        attach(page, tmp_path, ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00 not a picture"))

        expect(page.locator("#evidence-error")).to_have_text(
            said(live_server, UNSUPPORTED, name="tool.exe")
        )
        expect(page.locator(".evidence-file")).to_have_count(0)
        expect(page.locator("#narrative")).to_have_value(narrative)
        expect(page.locator("input[name=kind][value=abuse_of_power]")).to_be_checked()
        assert "evidence-error" in (page.get_attribute("#evidence", "aria-describedby") or "")
        assert traffic.sent == []


def test_a_pdf_is_sent_only_when_the_reporter_accepts_what_it_still_says(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    pdf = (
        b"%PDF-1.4\n1 0 obj << /Author (Ada Canary-Reporter) /CreationDate (D:20310517) >>"
        b"\nendobj\ntrailer << /Info 1 0 R >>\n%%EOF\n"
    )
    with report_form(browser, live_server) as (page, traffic):
        fill_in(page, "A letter as a PDF.")
        attach(page, tmp_path, ("letter.pdf", pdf))
        warning = entry(page, "letter.pdf").locator(".evidence-warning")
        expect(warning).to_contain_text(said(live_server, "author's name"))
        expect(warning).to_contain_text(said(live_server, "the dates it was made and changed"))
        # and word for word what they say
        author = said(live_server, "author's name")
        dates = said(live_server, "the dates it was made and changed")
        expect(warning.locator(".pdf-details li")).to_have_text(
            [f"{author}: “Ada Canary-Reporter”", f"{dates}: “2031-05-17”"]
        )

        # A send before the choice is stopped, and says what to choose
        send_report(page)
        expect(page.locator(".error-summary")).to_contain_text("letter.pdf")
        assert traffic.sent == []

        # "Remove the file" takes it out; chosen again and accepted, it is uploaded
        warning.get_by_role("button", name=said(live_server, "Remove the file")).click()
        expect(page.locator(".evidence-file")).to_have_count(0)
        attach(page, tmp_path, ("letter.pdf", pdf))
        send_anyway = said(live_server, "Send anyway")
        entry(page, "letter.pdf").get_by_role("button", name=send_anyway).click()
        expect_uploaded(page, live_server, "letter.pdf")
        send_report(page)
        code = case_code_shown(page)

    (opened,) = stored_files(live_server, code)
    assert (opened.name, opened.type, opened.content) == ("letter.pdf", "application/pdf", pdf)


def test_a_report_whose_file_cannot_be_uploaded_is_not_sent_and_says_so(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    narrative = "A report whose file never gets through."
    cases_before = cases_stored(live_server)
    with report_form(browser, live_server, before="clock") as (page, traffic):
        page.route(f"**{UPLOADS}/chunks/*", lambda route: route.abort("connectionreset"))
        fill_in(page, narrative)
        attach(page, tmp_path, ("photo.jpg", jpeg_with_metadata().original))

        # When it is sent while the upload keeps failing (its pauses pass on a fake clock)
        send_report(page)
        summary = page.locator(".error-summary")
        for _ in range(40):
            if summary.count():
                break
            page.clock.run_for(5_000)
            page.wait_for_timeout(50)

        # Then the page says which file did not go, and sends nothing
        expect(summary).to_contain_text(
            said(
                live_server,
                "The file %(name)s could not be uploaded. Check your connection, then try"
                " again or remove it.",
                name="photo.jpg",
            )
        )
        photo = entry(page, "photo.jpg")
        expect(photo.locator(".evidence-status")).to_have_text(
            said(live_server, "This file could not be uploaded.")
        )
        expect(photo.get_by_role("button", name=said(live_server, "Try again"))).to_be_visible()
        expect(page.locator("[data-case-code]")).to_have_count(0)
        expect(page.locator("#narrative")).to_have_value(narrative)
        assert traffic.to("/report") == []
        assert len(traffic.chunk_puts()) == 6  # the first try and five more, then it gave up

    assert cases_stored(live_server) == cases_before


def test_a_refused_report_keeps_its_files_listed(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    with report_form(browser, live_server) as (page, traffic):
        # Given an uploaded file, and a report the server refuses (no kind chosen)
        page.fill("#narrative", "No kind chosen.")
        choose(page, "contact_preference", "inbox")
        attach(page, tmp_path, ("note.txt", b"kept across a refusal"))
        expect_uploaded(page, live_server, "note.txt")
        uploads_before = uploads_stored(live_server)

        send_report(page)

        expect(page.locator("#kind-error")).to_be_visible()
        expect(page.locator("[data-case-code]")).to_have_count(0)
        expect(entry(page, "note.txt").locator(".evidence-status")).to_have_text(
            said(live_server, "Encrypted and uploaded.")
        )

        # When the mistake is put right, the same upload goes with the report
        choose(page, "kind", "other")
        send_report(page)
        code = case_code_shown(page)
        assert len(traffic.to(UPLOADS)) == 1

    assert uploads_stored(live_server) == uploads_before
    (opened,) = stored_files(live_server, code)
    assert opened.content == b"kept across a refusal"


# --- the server's rules, in the browser -----------------------------------------------------------


def test_files_are_known_and_named_by_the_servers_rules(
    page: Page, live_server: LiveServer
) -> None:
    samples = [fixture().original for fixture in ALL.values()]
    samples += [data for data, _type, _reason in HOSTILE.values()]
    samples += [
        b"",
        b"\xff\xfb\x90",
        b"\xff\xf2",
        b"\xff",
        b"RIFF\x00\x00\x00\x00WAVEfmt ",
        b"RIFF\x00\x00\x00\x00AVI ",
        b"\x00\x00\x00\x18ftypM4A ",
        b"ID3\x04",
        b"OggS\x00",
        b"\x1a\x45\xdf\xa3",
        b"GIF87a",
        "plain text, æøå".encode(),
        b"text with a \x00 NUL",
        b"\xc3\x28 not UTF-8",
        b"\xed\xa0\x80 a surrogate",
        b"MZ\x90\x00",
    ]
    names = ["a\\b/c.txt", " ..\u200bnotat\u0007.txt. ", "...", "x" * 130 + ".txt", "æøå 😀.png"]
    page.goto(f"{live_server.url}/")

    found = page.evaluate(
        """async ([samples, names]) => {
            const { safeName, sniff } = await import('/static/js/attachments.js');
            const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
            return [
                samples.map((sample) => sniff(bytes(sample))),
                names.map((name) => safeName(name, 'text/plain')),
            ];
        }""",
        [[base64.b64encode(sample).decode() for sample in samples], names],
    )

    assert found == [
        [sniff(sample) for sample in samples],
        [safe_name(name, "text/plain") for name in names],
    ]


def test_the_browser_and_the_server_name_a_download_alike(page: Page, live_server: LiveServer):
    # Given names a reply's file might carry, with the type its bytes are (or none known)
    cases = [
        ("x.exe", "image/png"),
        ("a\\b/c.txt", "text/plain"),
        (" ..\u200bnotat\u0007.txt. ", "text/plain"),
        ("...", "image/jpeg"),
        ("photo.JPG", "image/jpeg"),
        ("voice", "audio/ogg"),
        ("x" * 130 + ".pdf", "application/pdf"),
        ("report.pdf", None),
        ("\u202egnp.exe", "image/png"),
        ("kvittering\ue000.pdf", "application/pdf"),  # private use
    ]
    page.goto(f"{live_server.url}/")

    # When the lawyer's page names them, and the server names them for a reporter without
    # JavaScript
    in_browser = page.evaluate(
        """async (cases) => {
            const { cleanName } = await import('/static/js/evidence-view.js');
            return cases.map(([name, type]) => cleanName(name, type));
        }""",
        cases,
    )

    # Then both give the same names, each with an ending that fits its type
    assert in_browser == [download_name(name, media_type) for name, media_type in cases]
    assert in_browser[0] == "x.exe.png"


# --- with a follow-up message --------------------------------------------------------------------


def test_a_message_in_the_inbox_brings_its_files_sealed(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    photo = jpeg_with_metadata()
    with report_form(browser, live_server) as (page, traffic):
        # Given a report sent, and its inbox opened with the code
        fill_in(page, f"CANARY-FIRST-{secrets.token_hex(4)}")
        send_report(page)
        code = case_code_shown(page)
        page.locator("[data-code-saved]").check()
        page.goto(f"{live_server.url}/follow-up")
        page.fill("#code", code)
        page.click("form[data-opens-inbox] [type=submit]")
        expect(page.locator("[data-seals-message]")).to_be_visible()

        # When a photo is attached to a message and the message sent
        attach(page, tmp_path, ("IMG_3001.jpg", photo.original))
        expect(entry(page, "IMG_3001.jpg").locator(".evidence-findings")).to_contain_text(
            said(live_server, "GPS position")
        )
        expect_uploaded(page, live_server, "IMG_3001.jpg")
        page.fill("#message", "Se bildet.")
        page.click("[data-seals-message] [type=submit]")
        expect(page.locator(".notice")).to_be_visible()

    # Then the message named its upload and carried no file; the line opens the cleaned photo
    (message,) = traffic.to("/follow-up/message")
    assert b'name="attachments-0-upload"' in message.body
    assert b'name="evidence"' not in message.body
    for secret in [*secrets_of(photo), b"IMG_3001"]:
        assert traffic.carrying(secret) == [], secret
    files = stored_files(live_server, code)
    assert [(f.name, f.content) for f in files] == [("IMG_3001.jpg", photo.stripped)]
