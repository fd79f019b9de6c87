"""A reporter rereads their own case on a phone: the first text and a follow-up, in order.

With JavaScript the browser seals each text to the line and a copy to the reporter's own key,
and opens the copies again in the inbox: neither text crosses the wire in clear. Without it
the server seals both on arrival and opens the copies for the page the code was posted to.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_reporter_flows import (
    case_code_shown,
    choose,
    on_the_report_form,
    send_report,
)

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

PHONE_SCREEN = {"width": 360, "height": 740}


@pytest.mark.parametrize("java_script", [True, False], ids=["with-js", "without-js"])
def test_the_reporter_rereads_the_first_text_and_a_follow_up_on_a_phone(
    browser: Browser, live_server: LiveServer, java_script: bool
) -> None:
    first = f"FIRST-{secrets.token_hex(4)}"
    later = f"LATER-{secrets.token_hex(4)}"
    first_text = f"{first} Det begynte etter premieren."
    later_text = f"{later} Det skjedde igjen i dag."
    options = {"viewport": PHONE_SCREEN, "java_script_enabled": java_script}
    with on_the_report_form(browser, live_server, enhanced=java_script, **options) as (page, wire):
        choose(page, "kind", "abuse_of_power")
        page.fill("#narrative", first_text)
        choose(page, "contact_preference", "inbox")
        send_report(page)
        code = case_code_shown(page)

        page.goto(f"{live_server.url}/follow-up")
        page.fill("#code", code)
        page.click("form[data-opens-inbox] [type=submit]")
        own_texts = page.locator(".thread .from_reporter .body")
        expect(own_texts).to_have_text([first_text])

        page.fill("#message", later_text)
        page.click("[data-seals-message] [type=submit]")
        expect(page.locator(".notice")).to_be_visible()
        expect(own_texts).to_have_text([first_text, later_text])
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]

    carried = {post.path for post in wire.posts if first.encode() in post.raw}
    carried |= {post.path for post in wire.posts if later.encode() in post.raw}
    if java_script:
        assert carried == set(), "with JavaScript no text leaves the browser in clear"
    else:
        assert carried == {"/report", "/follow-up/message"}
