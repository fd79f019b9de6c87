"""Voicemail in Chromium: a lawyer records a message left yesterday at 17:30, and its deadline
is the Norwegian calendar's, counted from when it was left.

The app's clock is set to the day after the message for each test (and put back after it). The
number is read on the wire (never in clear from the enhanced page) and in the live server's
database, where it opens with the line's private key.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from advisory.extensions import db
from advisory.models import Callback, CaseStatus, Channel
from tests.browser.page_helpers import expect_sealing_note
from tests.browser.test_phone_intake_browser import (
    PHONE_WIDTH,
    on_the_phone_page,
    reference_from,
    stored,
)
from tests.conftest import OSLO
from tests.reporter_helpers import opened as rh_opened

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

VOICEMAIL_PAGE = "/queue/voicemail"


@contextmanager
def clock_at(live_server: LiveServer, moment: datetime) -> Iterator[None]:
    """The live app's clock stopped at `moment` for the block."""
    extensions = live_server.app.extensions
    before = extensions["advisory_clock"]
    extensions["advisory_clock"] = lambda: moment
    try:
        yield
    finally:
        extensions["advisory_clock"] = before


def fill_in(page: Page, left: datetime, *, number: str | None) -> None:
    page.fill("input[name=left_date]", left.strftime("%Y-%m-%d"))
    page.fill("input[name=left_time]", left.strftime("%H:%M"))
    page.check("input[name=kind][value=sexual_harassment]")
    page.check(f"input[name=number_given][value={'yes' if number else 'no'}]")
    if number:
        page.fill("input[name=phone]", number)


def callback_number(live_server: LiveServer, case_id: int, reference: str) -> str:
    with live_server.app.app_context():
        callback = db.session.scalars(select(Callback).where(Callback.case_id == case_id)).one()
        envelope = callback.contact_envelope or ""
    return rh_opened("contact", envelope, live_server.line_private_key, reference)


def test_left_on_friday_evening_it_is_due_monday_at_closing(
    browser: Browser, live_server: LiveServer
) -> None:
    number = f"+47 9{secrets.randbelow(10**7):07d}"
    left = datetime(2026, 11, 20, 17, 30, tzinfo=OSLO)  # Friday, after closing
    saturday = datetime(2026, 11, 21, 11, 0, tzinfo=OSLO)  # recorded the day after
    with (
        clock_at(live_server, saturday),
        on_the_phone_page(browser, live_server, path=VOICEMAIL_PAGE, at=saturday) as (page, posts),
    ):
        # Given the voicemail page, enhanced, starting at this minute
        expect_sealing_note(page, in_browser=True)
        expect(page.locator("input[name=left_date]")).to_have_value("2026-11-21")

        # When the lawyer records the message left yesterday at 17:30, with a number
        fill_in(page, left, number=number)
        page.click("#phone-intake-form [type=submit]")
        page.wait_for_url("**/cases/*")
        reference = reference_from(page.url)
        expect(page.locator("main .notice").first).to_contain_text(reference)
        sent = [post for post in posts if urlsplit(post.url).path == VOICEMAIL_PAGE]

        # Then the queue shows it due Monday 16:00, the Norwegian calendar's next working day
        page.goto(f"{live_server.url}/queue")
        row = page.locator("tr", has_text=reference)
        expect(row).to_contain_text("2026-11-23 16:00")

    # And the number left the browser sealed only
    assert len(sent) == 1
    raw = sent[0].post_data_buffer or b""
    digits = number.replace(" ", "").removeprefix("+").encode()  # spaces are sent as "+"
    assert digits not in raw.replace(b"+", b"").replace(b"%20", b"")
    fields = parse_qs(raw.decode(), keep_blank_values=True)
    assert "phone" not in fields
    [envelope] = fields["contact_envelope"]
    assert envelope.startswith("v2.")

    case = stored(live_server, reference)
    assert case.channel is Channel.VOICEMAIL
    assert case.status is CaseStatus.NEW
    assert case.received_at == left
    assert case.callback_due_at == datetime(2026, 11, 23, 16, 0, tzinfo=OSLO)
    assert callback_number(live_server, case.id, reference) == number


def test_left_before_constitution_day_without_javascript_it_is_due_the_day_after(
    browser: Browser, live_server: LiveServer
) -> None:
    number = f"+47 4{secrets.randbelow(10**7):07d}"
    left = datetime(2029, 5, 16, 17, 30, tzinfo=OSLO)  # Wednesday; 17 May is a holiday
    holiday = datetime(2029, 5, 17, 12, 0, tzinfo=OSLO)  # recorded on the holiday
    with (
        clock_at(live_server, holiday),
        on_the_phone_page(
            browser,
            live_server,
            path=VOICEMAIL_PAGE,
            at=holiday,
            enhanced=False,
            java_script_enabled=False,
            viewport=PHONE_WIDTH,
        ) as (page, _posts),
    ):
        expect(page.locator("#encryption-note")).to_be_visible()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0

        fill_in(page, left, number=number)
        page.click("#phone-intake-form [type=submit]")
        page.wait_for_url("**/cases/*")
        reference = reference_from(page.url)

    case = stored(live_server, reference)
    assert case.received_at == left
    assert case.callback_due_at == datetime(2029, 5, 18, 16, 0, tzinfo=OSLO)  # Friday
    assert callback_number(live_server, case.id, reference) == number


def test_a_day_in_the_future_comes_back_with_the_answers_and_without_the_number(
    browser: Browser, live_server: LiveServer
) -> None:
    with on_the_phone_page(browser, live_server, path=VOICEMAIL_PAGE) as (page, _posts):
        fill_in(page, datetime(2026, 11, 24, 9, 0, tzinfo=OSLO), number="+47 912 34 567")
        page.click("#phone-intake-form [type=submit]")

        expect(page.locator("#left_date-error")).to_be_visible()
        expect(page.locator("input[name=left_date]")).to_have_value("2026-11-24")
        expect(page.locator("input[name=kind][value=sexual_harassment]")).to_be_checked()
        expect(page.locator("input[name=phone]")).to_have_value("")
        expect(page.locator("input[name=phone]")).to_be_enabled()
