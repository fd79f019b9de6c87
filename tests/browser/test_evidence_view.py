"""Evidence files in the lawyer's browser: named, previewed and downloaded from what it opens.

A report comes with a photo carrying a GPS position and a screenshot (sent without
JavaScript, so the server strips and seals them on arrival). The lawyer signs in, and the
case page opens each file's sealed header with the line key: the names and the metadata that
was removed. The photo is previewed from a blob: URL, and both files download byte for byte
as they were sealed, without their metadata. A chunk altered in the database makes the file
say so, and nothing of it shows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from advisory.extensions import db
from advisory.models import Attachment, AttachmentChunk, AuditEvent, Case, Role
from tests.browser.staff_helpers import enrolled_staff, sign_in
from tests.browser.test_reporter_flows import browsing
from tests.metadata_fixtures import jpeg_with_metadata, png_with_text_chunks
from tests.reporter_helpers import STORED
from tests.test_attachments import post_with_files

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

ALTERED = "Denne filen er blitt endret og kan ikke åpnes."


def reported_with_files(live_server: LiveServer, files: list[tuple[bytes, str]]) -> str:
    """A report sent without JavaScript with `files`; its case reference."""
    answer = post_with_files(live_server.app.test_client(), files)
    assert answer.status_code == STORED
    with live_server.app.app_context():
        newest = select(func.max(Attachment.case_id))
        return db.session.scalars(
            select(Case.reference).where(Case.id == newest.scalar_subquery())
        ).one()


def alter_first_chunk(live_server: LiveServer, reference: str, number: int) -> None:
    """Flip one bit of the first sealed chunk of the case's file `number` (from 1)."""
    with live_server.app.app_context():
        ids = db.session.scalars(
            select(Attachment.id)
            .join(Case, Case.id == Attachment.case_id)
            .where(Case.reference == reference)
            .order_by(Attachment.id)
        ).all()
        chunk = db.session.get(AttachmentChunk, (ids[number - 1], 0))
        assert chunk is not None
        chunk.sealed = chunk.sealed[:-1] + bytes([chunk.sealed[-1] ^ 1])
        db.session.commit()


def reads_of(live_server: LiveServer, reference: str) -> int:
    with live_server.app.app_context():
        return len(
            db.session.scalars(
                select(AuditEvent.id).where(
                    AuditEvent.case_reference == reference, AuditEvent.action == "evidence.read"
                )
            ).all()
        )


def test_a_lawyer_previews_and_downloads_evidence_and_an_altered_file_shows_nothing(
    browser: Browser, live_server: LiveServer
) -> None:
    photo, screenshot = jpeg_with_metadata(), png_with_text_chunks()
    files = [(photo, "IMG_2041.jpg"), (screenshot, "skjermbilde.png")]
    reference = reported_with_files(live_server, [(f.original, name) for f, name in files])
    username, password, seed = enrolled_staff(live_server, Role.LAWYER)

    with browsing(browser, live_server, accept_downloads=True) as (page, _wire):
        sign_in(page, live_server, username, password, seed)
        page.goto(f"{live_server.url}/cases/{reference}")

        # The names and what was removed, opened from the sealed headers.
        items = page.locator("#evidence .evidence-file")
        for index, (_fixture, name) in enumerate(files):
            expect(items.nth(index).locator(".evidence-name")).to_have_text(name)
        expect(items.nth(0).locator(".evidence-meta")).to_contain_text("image/jpeg")
        expect(items.nth(0).locator(".evidence-removed")).to_contain_text("GPS-posisjon")
        expect(items.nth(1).locator(".evidence-removed")).to_contain_text("tekstnotater")

        # The photo shows in the page, from a blob: URL.
        items.nth(0).locator("button.evidence-show").click()
        picture = items.nth(0).locator(".evidence-preview img")
        expect(picture).to_have_attribute("src", re.compile(r"^blob:"))
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=picture.element_handle()
        )

        # Both download as sealed: the stripped files, no GPS in them.
        for index, (fixture, name) in enumerate(files):
            with page.expect_download() as info:
                items.nth(index).locator("button.evidence-download").click()
            download = info.value
            assert download.suggested_filename == name
            saved = Path(download.path()).read_bytes()
            assert saved == fixture.stripped
            for canary in (b"GPS", *fixture.canaries):
                assert canary not in saved
        assert reads_of(live_server, reference) == 3  # one preview, two downloads

        # A chunk altered in the database: the file says so, and nothing of it shows or saves.
        alter_first_chunk(live_server, reference, 2)
        page.reload()
        items.nth(1).locator("button.evidence-show").click()
        expect(items.nth(1).locator(".evidence-status")).to_have_text(ALTERED)
        expect(items.nth(1).locator(".evidence-preview *")).to_have_count(0)
        downloads: list[object] = []
        page.on("download", lambda download: downloads.append(download))
        page.reload()
        items.nth(1).locator("button.evidence-download").click()
        expect(items.nth(1).locator(".evidence-status")).to_have_text(ALTERED)
        assert downloads == []


def test_a_header_written_by_a_hostile_reporter_is_refused_or_made_harmless(module_page) -> None:
    # Given headers as a reporter's browser could seal anything: what the case page makes of them
    seen = module_page.evaluate(
        """async () => {
            const { parseHeader } = await import("/static/js/evidence-view.js");
            const header = (fields, padded = 100) => {
                const base = { v: 1, key: "A".repeat(43), name: "a.txt", type: "text/plain",
                               size: 5, removed: [] };
                const parsed = parseHeader(JSON.stringify({ ...base, ...fields }), padded);
                return parsed && { name: parsed.name, type: parsed.type, size: parsed.size,
                                   removed: parsed.removed, key: parsed.key.length };
            };
            return {
                html: header({ type: "text/html", name: "invoice.html" }),
                svg: header({ type: "image/svg+xml", name: "x.svg" }),
                disguised: header({ type: "image/jpeg", name: "photo.html" }),
                path: header({ name: "../../etc/pass\\u202Egnp.exe\\n" }),
                nameless: header({ name: " ... " }),
                removed: header({ removed: ["gps_position", "<b>bold</b>", "gps_position"] }),
                tooLarge: header({ size: 101 }),
                negative: header({ size: -1 }),
                version: header({ v: 2 }),
                shortKey: header({ key: "AAAA" }),
                oddRemoved: header({ removed: [5] }),
                notJson: parseHeader("{v:1}", 100),
                array: parseHeader("[1]", 100),
            };
        }"""
    )

    assert seen["html"]["type"] is None
    assert seen["html"]["name"] == "invoice.html.bin"
    assert seen["svg"]["type"] is None
    assert seen["disguised"] == {
        "name": "photo.html.jpg",
        "type": "image/jpeg",
        "size": 5,
        "removed": [],
        "key": 32,
    }
    assert seen["path"]["name"] == "passgnp.exe.txt"
    assert seen["nameless"]["name"] == "file.txt"
    assert seen["removed"]["removed"] == ["gps_position", "other"]
    for refused in (
        "tooLarge",
        "negative",
        "version",
        "shortKey",
        "oddRemoved",
        "notJson",
        "array",
    ):
        assert seen[refused] is None, refused
