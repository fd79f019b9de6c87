"""Safety on a phone, in Chromium at 360 px: the quick exit stays in reach while the page
scrolls and Esc pressed twice leaves; switching language on the report form keeps what was
typed; the landing page does not scroll sideways; the Stay safe page passes axe."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import update

from advisory.extensions import db
from advisory.models import Line
from tests.browser.page_helpers import sticking_out
from tests.browser.test_accessibility import FAILING_IMPACTS, axe_violations, describe
from tests.browser.test_reporter_flows import (
    NEUTRAL_SITE,
    PHONE,
    PHONE_TRACES,
    browsing,
    choose,
    neutral_site,
    on_the_report_form,
    open_report_form,
)

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

PHONE_SCREEN = {"width": 360, "height": 640}
NARRATIVE = "Kanarifugl: the conductor shouted at me in front of the orchestra."


def test_quick_exit_stays_visible_while_scrolling_and_esc_twice_leaves(
    browser: Browser, live_server: LiveServer
) -> None:
    with on_the_report_form(browser, live_server, viewport=PHONE_SCREEN) as (page, _):
        page.route(
            f"{NEUTRAL_SITE}**",
            lambda route: route.fulfill(status=200, content_type="text/html", body="<title>yr"),
        )
        page.locator("button[type=submit].primary").scroll_into_view_if_needed()
        assert page.evaluate("window.scrollY") > 1000  # far down the form

        quick_exit = page.locator(".quick-exit")
        expect(quick_exit).to_be_in_viewport()
        box = quick_exit.bounding_box()
        assert box is not None
        assert box["y"] >= 0  # at the top of the screen
        assert box["y"] + box["height"] <= 80

        page.fill("#narrative", "something private")  # Esc works from inside a field too
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
        page.wait_for_url(NEUTRAL_SITE)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_switching_language_on_the_report_form_keeps_what_was_typed(
    browser: Browser, live_server: LiveServer, javascript: bool
) -> None:
    with on_the_report_form(
        browser, live_server, enhanced=javascript, java_script_enabled=javascript
    ) as (page, wire):
        choose(page, "kind", "abuse_of_power")
        choose(page, "contact_preference", "callback")
        page.fill("#narrative", NARRATIVE)
        page.fill("#phone", PHONE)

        page.click("header button[name=language][value=en]")

        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("h1")).to_have_text("Write to us")
        expect(page.locator("#narrative")).to_have_value(NARRATIVE)
        expect(page.locator("input[name=kind][value=abuse_of_power]")).to_be_checked()
        expect(page.locator("#phone")).to_have_value("")
        [switch] = wire.to("/report/language")
        if javascript:  # the script keeps the text and the number out of the post
            assert NARRATIVE.encode() not in switch.raw
            assert not any(trace.encode() in switch.raw for trace in PHONE_TRACES)
            # and the text waited in the tab only for the switch
            assert page.evaluate("sessionStorage.length") == 0
        else:  # without a script the form itself carries it back
            assert switch.one("narrative") == NARRATIVE


def test_the_landing_page_fits_a_360_px_screen(browser: Browser, live_server: LiveServer) -> None:
    set_phone(live_server, "+47 22 00 00 00")
    try:
        with browsing(browser, live_server, viewport=PHONE_SCREEN) as (page, _):
            page.goto(f"{live_server.url}/")
            expect(page.locator("a[href='tel:+4722000000']")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]
    finally:
        set_phone(live_server, "")


def set_phone(live_server: LiveServer, number: str) -> None:
    """The line's own number, as an administrator sets it."""
    with live_server.app.app_context():
        db.session.execute(update(Line).values(phone=number))
        db.session.commit()


def test_the_stay_safe_page_has_no_serious_accessibility_violations(
    browser: Browser, live_server: LiveServer
) -> None:
    with browsing(browser, live_server, viewport=PHONE_SCREEN) as (page, _):
        page.goto(f"{live_server.url}/stay-safe")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]
        failing = [describe(v) for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert failing == []


@pytest.mark.parametrize("path", ["/", "/report", "/follow-up"])
def test_with_text_twice_as_large_the_header_wraps_instead_of_widening_the_page(
    browser: Browser, live_server: LiveServer, path: str
) -> None:
    with browsing(browser, live_server, viewport=PHONE_SCREEN) as (page, _):
        page.goto(f"{live_server.url}{path}")
        # What a phone's "larger text" setting does to a page sized in rem (set through the
        # CSSOM, which the page's CSP allows, unlike an inline style sheet)
        page.evaluate("document.documentElement.style.fontSize = '200%'")

        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_SCREEN["width"], sticking_out(page)
        exit_box = page.locator(".quick-exit").bounding_box()
        assert exit_box is not None
        assert exit_box["x"] + exit_box["width"] <= PHONE_SCREEN["width"]


def test_where_the_browser_blocks_storage_the_quick_exit_still_leaves(
    browser: Browser, live_server: LiveServer
) -> None:
    with browsing(browser, live_server) as (page, _):
        neutral_site(page.context)
        # What a browser that blocks site data does: reading sessionStorage throws
        page.add_init_script(
            "Object.defineProperty(window, 'sessionStorage', {get() {"
            " throw new DOMException('blocked', 'SecurityError'); }});"
        )
        open_report_form(page, live_server)  # the form is still taken over for sealing
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
        page.wait_for_url(NEUTRAL_SITE)
