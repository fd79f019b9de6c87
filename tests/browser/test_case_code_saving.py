"""The case code is hard to lose, in Chromium: copy, download, a check before leaving, and a
receipt that reload shows again instead of sending the report twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, Dialog, Page, expect

from tests.browser.test_reporter_flows import (
    NEUTRAL_SITE,
    Wire,
    browsing,
    case_code_shown,
    choose,
    neutral_site,
    open_report_form,
    send_report,
    stored_case,
)

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

SHOWN_ONCE = "Koden ble vist én gang"


@contextmanager
def on_a_receipt(
    browser: Browser, live_server: LiveServer, *, java_script: bool = True, **options: object
) -> Iterator[tuple[Page, Wire, str]]:
    """A report sent through the form: the page on its receipt, the wire, and the code."""
    with browsing(browser, live_server, java_script_enabled=java_script, **options) as (
        page,
        wire,
    ):
        neutral_site(page.context)
        open_report_form(page, live_server, enhanced=java_script)
        choose(page, "kind", "other")
        page.fill("#narrative", f"Receipt {secrets.token_hex(4)}")
        choose(page, "contact_preference", "inbox")
        send_report(page)
        yield page, wire, case_code_shown(page)


def test_copy_and_download_keep_the_code_in_the_browser(
    browser: Browser, live_server: LiveServer
) -> None:
    permissions = ["clipboard-read", "clipboard-write"]
    with on_a_receipt(browser, live_server, permissions=permissions, accept_downloads=True) as (
        page,
        wire,
        code,
    ):
        # Copy puts the code on the clipboard
        page.click("[data-copy-code]")
        expect(page.locator("[data-copy-status]")).to_contain_text("Kopiert")
        assert page.evaluate("navigator.clipboard.readText()") == code

        # Download makes the file here, and marks the code saved
        with page.expect_download() as download:
            page.click("[data-download-code]")
        assert download.value.suggested_filename == "case-code.txt"
        text = download.value.path().read_text(encoding="utf-8")
        assert f"Sakskoden din: {code}" in text
        expect(page.locator("[data-code-saved]")).to_be_checked()

        # With the code saved, a link simply leaves
        page.click("main a[href='/follow-up']")
        page.wait_for_url(f"{live_server.url}/follow-up")

    # The code never went to the server, not even to be downloaded
    assert wire.to("/report/case-code.txt") == []
    for post in wire.posts:
        assert code.encode() not in post.raw


def test_a_link_asks_first_and_the_reporter_may_stay_or_leave_anyway(
    browser: Browser, live_server: LiveServer
) -> None:
    with on_a_receipt(browser, live_server) as (page, _wire, _code):
        receipt_url = page.url
        question = page.locator("[data-leave-check]")

        # A link asks in the page, and staying keeps the receipt
        page.click("main a[href='/follow-up']")
        expect(question).to_be_visible()
        assert page.url == receipt_url
        page.click("[data-stay]")
        expect(question).to_be_hidden()
        expect(page.locator("[data-code-saved]")).to_be_focused()

        # Leaving without it is the reporter's choice
        page.click("main a[href='/follow-up']")
        page.click("[data-leave]")
        page.wait_for_url(f"{live_server.url}/follow-up")


def test_reload_asks_first_then_shows_the_receipt_not_a_second_report(
    browser: Browser, live_server: LiveServer
) -> None:
    with on_a_receipt(browser, live_server) as (page, wire, code):
        asked: list[str] = []

        def answer(dialog: Dialog) -> None:
            asked.append(dialog.type)
            dialog.accept()

        page.on("dialog", answer)
        receipt_url = page.url
        page.reload()

        assert asked == ["beforeunload"]
        assert page.url == receipt_url
        expect(page.locator("h1")).to_have_text("Vi har mottatt henvendelsen din")
        expect(page.locator("[data-case-code]")).to_contain_text(SHOWN_ONCE)
        assert len(wire.to("/report")) == 1
        assert stored_case(live_server.app, code)


def test_the_quick_exit_never_asks(browser: Browser, live_server: LiveServer) -> None:
    with on_a_receipt(browser, live_server) as (page, _wire, _code):
        asked: list[str] = []
        page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))

        page.click(".quick-exit")
        page.wait_for_url(NEUTRAL_SITE)

        assert asked == []


def test_without_javascript_reload_shows_the_receipt_and_the_download_posts_the_code(
    browser: Browser, live_server: LiveServer
) -> None:
    with on_a_receipt(browser, live_server, java_script=False, accept_downloads=True) as (
        page,
        wire,
        code,
    ):
        # The download button posts the code shown, and the file comes back
        with page.expect_download() as download:
            page.click("[data-download-code]")
        text = download.value.path().read_text(encoding="utf-8")
        assert f"Sakskoden din: {code}" in text

        # Reload shows the receipt again, without the code, and sends nothing
        page.reload()
        expect(page.locator("[data-case-code]")).to_contain_text(SHOWN_ONCE)
        assert code not in page.content()
        assert len(wire.to("/report")) == 1
