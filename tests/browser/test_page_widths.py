"""The reporter's and the lawyer's pages in Chromium at a phone's and a desk's width: none of
them scrolls sideways, and each leaves full-page screenshots in test-results/page-widths/
(named like receipt-360.png) to look at.

One reporter sends one report through the form (JavaScript on) and comes back with its code;
one lawyer signs in once for the module. Each page is measured at both widths by resizing the
tab it is on, so the receipt, shown only once, is measured without sending a second report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from advisory.models import Role
from tests.browser.page_helpers import sticking_out
from tests.browser.test_reporter_flows import (
    ARTEFACTS,
    browsing,
    case_code_shown,
    choose,
    open_report_form,
    send_report,
)
from tests.browser.test_staff_screens import DESK, PHONE, SignedIn, signed_in

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

SHOTS = ARTEFACTS / "page-widths"
# 360 and 1280 px wide, typed as Playwright takes them.
WIDTHS = [ViewportSize(width=size["width"], height=size["height"]) for size in (PHONE, DESK)]
NARRATIVE = "Kanarifugl-bredde: the rehearsal schedule changed every week without notice."

# The innermost elements whose right edge is past the window's, with their parent and text:
# which element makes a page scroll sideways.


def fits_both_widths(page: Page, name: str) -> None:
    """At each width: a full-page screenshot, then no horizontal scroll on the page."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide: list[str] = []
    for viewport in WIDTHS:
        width = viewport["width"]
        page.set_viewport_size(viewport)
        page.screenshot(path=SHOTS / f"{name}-{width}.png", full_page=True)
        scroll_width, inner_width = page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        if scroll_width > inner_width:
            too_wide.append(
                f"{name} at {width} px scrolls sideways (scrollWidth {scroll_width} > "
                f"innerWidth {inner_width}); past the edge: {sticking_out(page)}"
            )
    assert too_wide == [], "\n".join(too_wide)


# --- the reporter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    page: Page  # left on the receipt
    code: str


@pytest.fixture(scope="module")
def reporter(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A reporter's browser with JavaScript on: a tab for the pages they come and go between."""
    with browsing(browser, live_server, viewport=PHONE) as (page, _wire):
        yield page


@pytest.fixture(scope="module")
def receipt(reporter: Page, live_server: LiveServer) -> Receipt:
    """A report sent through the form in a second tab of that browser, left on its receipt:
    the code is shown only this once."""
    page = reporter.context.new_page()
    open_report_form(page, live_server)
    choose(page, "kind", "abuse_of_power")
    page.fill("#narrative", NARRATIVE)
    choose(page, "contact_preference", "inbox")
    send_report(page)
    return Receipt(page, case_code_shown(page))


def test_the_landing_page_fits_a_phone_and_a_desk(reporter: Page, live_server: LiveServer) -> None:
    reporter.goto(f"{live_server.url}/")
    fits_both_widths(reporter, "landing")


def test_the_report_form_fits_a_phone_and_a_desk(reporter: Page, live_server: LiveServer) -> None:
    open_report_form(reporter, live_server)
    fits_both_widths(reporter, "report")


def test_the_receipt_fits_a_phone_and_a_desk(receipt: Receipt) -> None:
    expect(receipt.page.locator("[data-case-code]")).to_have_text(receipt.code)
    fits_both_widths(receipt.page, "receipt")


def test_the_inbox_fits_a_phone_and_a_desk(
    reporter: Page, receipt: Receipt, live_server: LiveServer
) -> None:
    reporter.goto(f"{live_server.url}/follow-up")
    expect(reporter.locator("form[data-opens-inbox][data-enhanced]")).to_have_count(1)
    reporter.fill("#code", receipt.code)
    reporter.click("form[data-opens-inbox] [type=submit]")
    expect(reporter.locator("[data-seals-message]")).to_be_visible()
    fits_both_widths(reporter, "inbox")


# --- the lawyer --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lawyer(browser: Browser, live_server: LiveServer, receipt: Receipt) -> Iterator[SignedIn]:
    """An enrolled lawyer signed in once, keys unlocked; the report sent above is queued."""
    yield from signed_in(browser, live_server, Role.LAWYER)


def test_the_queue_fits_a_phone_and_a_desk(lawyer: SignedIn) -> None:
    lawyer.show("/queue", PHONE)
    expect(lawyer.page.locator("table.queue tbody tr").first).to_be_visible()
    fits_both_widths(lawyer.page, "queue")


def test_a_case_page_fits_a_phone_and_a_desk(lawyer: SignedIn) -> None:
    lawyer.show("/queue", PHONE)
    lawyer.page.locator("table.queue tbody th a").first.click()
    lawyer.page.wait_for_url("**/cases/*")
    narrative = lawyer.page.locator(".sealed.narrative")
    if narrative.count():  # measured with the text opened in the browser, as a lawyer reads it
        expect(narrative.locator(".opened")).to_be_visible()
    fits_both_widths(lawyer.page, "case")
