"""What the reporter's and the staff's forms have in common in the browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def expect_sealing_note(page: Page, *, in_browser: bool) -> None:
    """The form says where its text is sealed: here in the browser, or on the server."""
    browser_note = page.locator("#encryption-note-js")
    server_note = page.locator("#encryption-note")
    expect(browser_note if in_browser else server_note).to_be_visible()
    expect(server_note if in_browser else browser_note).to_be_hidden()


_STICKING_OUT = """() => {
    const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + [...el.classList].map((c) => "." + c).join("");
    const out = new Set([...document.querySelectorAll("body *")]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth));
    return [...out]
        .filter((el) => ![...el.children].some((child) => out.has(child)))
        .slice(0, 8)
        .map((el) => `${name(el.parentElement)} > ${name(el)}`
            + ` "${el.textContent.trim().slice(0, 30)}"`
            + ` (right edge ${Math.round(el.getBoundingClientRect().right)} px)`);
}"""


def sticking_out(page: Page) -> list[str]:
    """The innermost elements whose right edge is past the window's: what widens the page."""
    found: list[str] = page.evaluate(_STICKING_OUT)
    return found
