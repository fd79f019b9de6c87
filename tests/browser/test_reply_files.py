"""A lawyer's reply with a picture, in Chromium, and the reporter downloading it.

The lawyer signs in, chooses a PNG carrying text notes in the reply form: their browser strips
it, seals it under a fresh key, seals its header to the reporter's key and a copy to the line,
uploads the sealed chunks and sends the reply naming the upload. The reporter opens the inbox
with the case code: with JavaScript the browser opens the header and the file and saves it;
without it the download button posts the code and the server answers with the file. Both
downloads are the stripped picture, byte for byte; nothing readable of it left the lawyer's
browser.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

import crypto
from advisory.extensions import db
from advisory.models import Attachment, Case, Role
from tests.browser.staff_helpers import enrolled_staff, sign_in
from tests.browser.test_evidence_upload import Traffic, said
from tests.browser.test_reporter_flows import browsing
from tests.metadata_fixtures import png_with_text_chunks
from tests.reporter_helpers import reported_case

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

NAME = "skjermbilde-svar.png"


def a_reported_case(live_server: LiveServer, code: str) -> str:
    """A case sent to the inbox (stored as the report form stores it); its reference."""
    with live_server.app.app_context():
        return reported_case(db.session(), live_server.app, code).reference


def open_inbox(page: Page, live_server: LiveServer, code: str) -> None:
    page.goto(f"{live_server.url}/follow-up")
    page.fill("#code", code)
    page.click("form[data-opens-inbox] [type=submit]")


def test_a_lawyer_replies_with_a_picture_and_the_reporter_downloads_it_with_and_without_js(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    picture = png_with_text_chunks()
    path = tmp_path / NAME
    path.write_bytes(picture.original)
    answer = f"CANARY-REPLY-{secrets.token_hex(4)}: here is the screenshot you asked for."
    code = crypto.generate_case_code()
    reference = a_reported_case(live_server, code)
    username, password, seed = enrolled_staff(live_server, Role.LAWYER)

    # The lawyer attaches the picture to a reply: stripped, sealed and uploaded at once
    with browsing(browser, live_server) as (page, wire):
        traffic = Traffic(live_server.url)
        page.on("request", traffic.record)
        sign_in(page, live_server, username, password, seed)
        page.goto(f"{live_server.url}/cases/{reference}")
        expect(page.locator("[data-reply-files-need-script]")).to_have_count(0)
        page.set_input_files("#reply-evidence", path)
        item = page.locator("#reply-evidence-field .evidence-file", has_text=NAME)
        expect(item.locator(".evidence-findings")).to_contain_text(said(live_server, "text notes"))
        expect(item.locator(".evidence-status")).to_have_text(
            said(live_server, "Encrypted and uploaded."), timeout=10_000
        )
        page.fill("#text", answer)
        page.click("form.reply-form [type=submit]")
        expect(page.locator("p.notice[role=status]")).to_be_visible()

    # Only sealed chunks and envelopes left the lawyer's browser, and the reply named them
    (reply,) = wire.to(f"/cases/{reference}/reply")
    assert reply.one("attachments-0-upload")
    assert reply.one("attachments-0-header").startswith("v2.")
    assert reply.one("attachments-0-copy").startswith("v2.")
    for secret in (picture.original, picture.stripped, NAME.encode(), answer.encode()):
        assert traffic.carrying(secret) == [], secret
    with live_server.app.app_context():
        stored = db.session.scalars(
            select(Attachment).join(Case).where(Case.reference == reference)
        ).one()
        assert (stored.direction, stored.message_id is not None) == ("to_reporter", True)

    # The reporter, with JavaScript: the browser opens the header and saves the file
    with browsing(browser, live_server, accept_downloads=True) as (page, wire):
        open_inbox(page, live_server, code)
        item = page.locator(".thread .to_reporter .reply-file")
        expect(item.locator(".evidence-name strong")).to_have_text(NAME)
        with page.expect_download() as info:
            item.locator("button").click()
        assert info.value.suggested_filename == NAME
        assert Path(info.value.path()).read_bytes() == picture.stripped
        (fetched,) = wire.to("/follow-up/file")
        assert "code" not in fetched.fields
        assert fetched.one("file") == str(stored.id)

    # The reporter, without JavaScript: the code goes with the button, the file comes back
    without_script = {"accept_downloads": True, "java_script_enabled": False}
    with browsing(browser, live_server, **without_script) as (page, _wire):
        open_inbox(page, live_server, code)
        item = page.locator(".thread .to_reporter .reply-file")
        expect(item.locator(".evidence-name strong")).to_have_text(NAME)
        with page.expect_download() as info:
            item.locator("button").click()
        assert info.value.suggested_filename == NAME
        assert Path(info.value.path()).read_bytes() == picture.stripped
