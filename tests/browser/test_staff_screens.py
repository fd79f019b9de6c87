"""The staff screens in Chromium: where a sign-in lands, what it asks the server for, and how
the queue and the figures use a phone's and a desk's width.

Each role signs in once for the module; its pages are then measured at both widths in that
signed-in context.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, Response

import crypto
from advisory.extensions import db
from advisory.models import Role
from tests.browser.staff_helpers import enrolled_staff, sign_in
from tests.reporter_helpers import reported_case

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

PHONE = {"width": 360, "height": 740}
DESK = {"width": 1280, "height": 800}
READING_WIDTH_PX = 42 * 16  # site.css: the width of a page of text


@dataclass
class SignedIn:
    """A staff member's page just after signing in, and every answer it received."""

    page: Page
    origin: str
    answers: list[Response] = field(default_factory=list)

    def failed(self) -> list[str]:
        return [f"{answer.status} {answer.url}" for answer in self.answers if answer.status >= 400]

    def asked_for(self, path: str) -> list[int]:
        return [answer.status for answer in self.answers if answer.url == f"{self.origin}{path}"]

    def show(self, path: str, viewport: dict[str, int]) -> None:
        self.page.set_viewport_size(viewport)
        self.page.goto(f"{self.origin}{path}")

    def measure(self, selector: str) -> dict[str, float]:
        return self.page.evaluate(
            """(selector) => ({
                overflow: document.documentElement.scrollWidth - window.innerWidth,
                header: document.querySelector(".site-header").getBoundingClientRect().width,
                main: document.querySelector("main").getBoundingClientRect().width,
                content: document.querySelector(selector).getBoundingClientRect().width,
            })""",
            selector,
        )


def signed_in(browser: Browser, live_server: LiveServer, role: Role) -> Iterator[SignedIn]:
    username, password, seed = enrolled_staff(live_server, role)
    context = browser.new_context(viewport=DESK)
    try:
        visit = SignedIn(context.new_page(), live_server.url)
        visit.page.on("response", lambda answer: visit.answers.append(answer))
        sign_in(visit.page, live_server, username, password, seed)
        visit.page.wait_for_load_state("networkidle")
        yield visit
    finally:
        context.close()


@pytest.fixture(scope="module")
def open_cases(live_server: LiveServer) -> None:
    """A few cases in the queue, so that it has rows to lay out."""
    with live_server.app.app_context():
        for _ in range(3):
            reported_case(db.session(), live_server.app, crypto.generate_case_code())


@pytest.fixture(scope="module")
def lawyer(browser: Browser, live_server: LiveServer, open_cases: None) -> Iterator[SignedIn]:
    yield from signed_in(browser, live_server, Role.LAWYER)


@pytest.fixture(scope="module")
def coordinator(browser: Browser, live_server: LiveServer) -> Iterator[SignedIn]:
    yield from signed_in(browser, live_server, Role.COORDINATOR)


# --- signing in --------------------------------------------------------------------------------


def test_a_coordinator_lands_on_the_figures_without_one_refused_request(
    coordinator: SignedIn,
) -> None:
    assert coordinator.page.url == f"{coordinator.origin}/coordinator"
    assert coordinator.failed() == []
    assert coordinator.asked_for("/staff/keys") == []  # a coordinator holds no keys


def test_a_lawyer_lands_on_the_queue_with_the_keys_unlocked(lawyer: SignedIn) -> None:
    assert lawyer.page.url == f"{lawyer.origin}/queue"
    assert lawyer.failed() == []
    assert lawyer.asked_for("/staff/keys") == [200]


# --- widths ------------------------------------------------------------------------------------


def test_on_a_desk_the_queue_is_a_table_as_wide_as_the_header(lawyer: SignedIn) -> None:
    lawyer.show("/queue", DESK)
    measured = lawyer.measure("table.queue")
    header_row = lawyer.page.locator("table.queue thead tr")

    assert measured["overflow"] <= 0
    assert measured["header"] == measured["main"] > READING_WIDTH_PX * 1.5
    assert measured["content"] > READING_WIDTH_PX
    assert header_row.evaluate("row => getComputedStyle(row).display") == "table-row"
    assert header_row.is_visible()


def test_on_a_phone_the_queue_is_a_list_of_cards(lawyer: SignedIn) -> None:
    lawyer.show("/queue", PHONE)
    measured = lawyer.measure("table.queue")
    rows = lawyer.page.locator("table.queue tbody tr")
    displays = rows.evaluate_all("rows => rows.map(row => getComputedStyle(row).display)")
    labels = lawyer.page.locator("table.queue tbody td").first.evaluate(
        "cell => getComputedStyle(cell, '::before').content"
    )
    heading = lawyer.page.locator("table.queue thead").bounding_box()

    assert measured["overflow"] <= 0
    assert len(displays) >= 3
    assert set(displays) == {"grid"}  # a card: its values laid out in a grid
    assert labels.strip('"') != ""  # each value says what it is
    assert heading is not None
    assert heading["width"] <= 1  # the column headings are left to screen readers


def test_on_a_desk_the_figures_use_the_width_and_line_up_with_the_header(
    coordinator: SignedIn,
) -> None:
    coordinator.show("/coordinator", DESK)
    measured = coordinator.measure(".coordinator")

    assert measured["overflow"] <= 0
    assert measured["header"] == measured["main"] > READING_WIDTH_PX * 1.5


@pytest.mark.parametrize("path", ["/coordinator", "/coordinator/report"])
def test_on_a_phone_the_figures_do_not_scroll_sideways(coordinator: SignedIn, path: str) -> None:
    # Wide tables of figures scroll within themselves
    coordinator.show(path, PHONE)

    assert coordinator.measure(".coordinator")["overflow"] <= 0
