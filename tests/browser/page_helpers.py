"""What the reporter's and the staff's forms have in common in the browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def expect_sealing_note(page: Page, *, in_browser: bool) -> None:
    """The form says where its text is sealed: here in the browser, or on the server."""
    browser_note = page.locator("#encryption-note-js")
    server_note = page.locator("#encryption-note")
    expect(browser_note if in_browser else server_note).to_be_visible()
    expect(server_note if in_browser else browser_note).to_be_hidden()
