"""Phone intake in Chromium: a lawyer records a call, the note sealed in their browser.

What the browser sent is read from Playwright's view of the requests, so "the note never left
the browser in clear" is checked on the wire; what was stored is read from the live server's
database and opened with the line's private key.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Page, Request, expect
from sqlalchemy import select

from advisory.auth import sessions
from advisory.extensions import db
from advisory.models import Case, CaseStatus, Channel, Role
from advisory.services.line_keys import default_line
from tests.browser.page_helpers import expect_sealing_note
from tests.conftest import DEFAULT_NOW, TEST_SECRETS, unusable_staff
from tests.reporter_helpers import opened as rh_opened

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

SECRET_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"])
PHONE_WIDTH = {"width": 360, "height": 740}
MIN_TAP = 44  # CSS pixels
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"


def signed_in_lawyer(live_server: LiveServer, at: datetime = DEFAULT_NOW) -> str:
    """A lawyer of the live server's line, and a staff cookie value that signs them in at
    `at` (the app's clock then)."""
    with live_server.app.app_context():
        session = db.session()
        line = default_line(session)
        assert line is not None
        lawyer = unusable_staff(
            Role.LAWYER,
            username=f"phone-lawyer-{secrets.token_hex(4)}",
            line_id=line.id,
            must_change_password=False,
            totp_confirmed=True,
        )
        session.add(lawyer)
        session.commit()
        started = sessions.start_session(lawyer.id, 0, at, enrolling=False)
    return sessions.encode(SECRET_KEY, started)


@contextmanager
def on_the_phone_page(
    browser: Browser,
    live_server: LiveServer,
    *,
    enhanced: bool = True,
    path: str = "/queue/phone",
    at: datetime = DEFAULT_NOW,
    **options: Any,
) -> Iterator[tuple[Page, list[Request]]]:
    """A fresh context signed in as a new lawyer (at `at`), on the phone page (or the page at
    `path`), and the POSTs it sends."""
    context = browser.new_context(**options)
    context.add_cookies(
        [
            {
                "name": sessions.COOKIE_NAME,
                "value": signed_in_lawyer(live_server, at),
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    try:
        page.goto(f"{live_server.url}{path}")
        if enhanced:
            expect(page.locator("#phone-intake-form[data-enhanced]")).to_have_count(1)
        yield page, posts
    finally:
        context.close()


def stored(live_server: LiveServer, reference: str) -> Case:
    with live_server.app.app_context():
        case = db.session.scalars(select(Case).where(Case.reference == reference)).one()
        db.session.expunge(case)
        return case


def reference_from(url: str) -> str:
    path = urlsplit(url).path
    assert path.startswith("/cases/"), url
    return path.removeprefix("/cases/")


def test_a_lawyer_records_a_call_and_only_the_sealed_note_leaves_the_browser(
    browser: Browser, live_server: LiveServer
) -> None:
    canary = f"CANARY-PHONE-JS-{secrets.token_hex(4)}"
    # Given the phone page, enhanced: it says the note is sealed here
    with on_the_phone_page(browser, live_server) as (page, posts):
        expect_sealing_note(page, in_browser=True)

        # When the lawyer answers, writes a note and saves
        page.check("input[name=kind][value=abuse_of_power]")
        page.check("input[name=ongoing][value=yes]")
        page.fill("textarea[name=note]", f"{canary}: advised on the union rep.")
        page.check("input[name=outcome][value=follow_up]")
        page.click("#phone-intake-form [type=submit]")
        page.wait_for_url("**/cases/*")

        # Then the case page opens with a confirmation naming the reference
        reference = reference_from(page.url)
        expect(page.locator("main .notice").first).to_contain_text(reference)
        sent = [post for post in posts if urlsplit(post.url).path == "/queue/phone"]

    # And the one POST carried the envelope, never the note
    assert len(sent) == 1
    raw = sent[0].post_data_buffer or b""
    assert canary.encode() not in raw
    fields = parse_qs(raw.decode(), keep_blank_values=True)
    assert "note" not in fields
    assert fields["encryption"] == ["browser"]
    [envelope] = fields["note_envelope"]
    assert envelope.startswith("v2.")

    # And the stored case holds exactly that envelope, which opens to the note
    case = stored(live_server, reference)
    assert case.narrative_envelope == envelope
    opened = rh_opened("narrative", envelope, live_server.line_private_key, reference)
    assert opened == f"{canary}: advised on the union rep."
    assert case.channel is Channel.PHONE
    assert case.status is CaseStatus.IN_PROGRESS
    assert case.priority == 2
    assert case.first_response_at == case.received_at


def test_a_missing_answer_is_said_in_place_and_the_note_stays_as_typed(
    browser: Browser, live_server: LiveServer
) -> None:
    text = f"CANARY-PHONE-KEEP-{secrets.token_hex(4)}"
    with on_the_phone_page(browser, live_server) as (page, posts):
        page.fill("textarea[name=note]", text)

        page.click("#phone-intake-form [type=submit]")

        expect(page.locator(".error-summary")).to_be_visible()
        expect(page.locator("#kind-error")).to_be_visible()
        question = page.locator("#kind > legend").inner_text().strip()
        expect(page.locator(".error-summary a[href='#kind']")).to_contain_text(question)
        expect(page.locator("textarea[name=note]")).to_have_value(text)
        expect(page.locator("textarea[name=note]")).to_be_enabled()
        assert [post for post in posts if urlsplit(post.url).path == "/queue/phone"] == []


def test_keyboard_only_two_keys_record_a_call(browser: Browser, live_server: LiveServer) -> None:
    with on_the_phone_page(browser, live_server) as (page, _posts):
        # Focus starts on the first answer to "what is it about"; Space picks it, Enter saves
        page.keyboard.press("Space")
        page.keyboard.press("Enter")
        page.wait_for_url("**/cases/*")

        case = stored(live_server, reference_from(page.url))
    assert case.channel is Channel.PHONE
    assert case.status is CaseStatus.CLOSED  # advice given, the default in opening hours
    assert case.narrative_envelope is None


def test_the_page_fits_a_phone_with_big_tap_targets(
    browser: Browser, live_server: LiveServer
) -> None:
    with on_the_phone_page(browser, live_server, viewport=PHONE_WIDTH) as (page, _posts):
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        for selector in (".chip", "#phone-intake-form [type=submit]"):
            heights = page.eval_on_selector_all(
                selector, "els => els.map(el => el.getBoundingClientRect().height)"
            )
            assert heights, selector
            assert min(heights) >= MIN_TAP, (selector, min(heights))
        page.screenshot(path=ARTEFACTS / "phone-intake-360.png", full_page=True)


def test_without_javascript_the_server_seals_the_note(
    browser: Browser, live_server: LiveServer
) -> None:
    canary = f"CANARY-PHONE-NOJS-{secrets.token_hex(4)}"
    with on_the_phone_page(browser, live_server, enhanced=False, java_script_enabled=False) as (
        page,
        _posts,
    ):
        expect(page.locator("#encryption-note")).to_be_visible()
        page.check("input[name=kind][value=general_question]")
        page.fill("textarea[name=note]", canary)
        page.click("#phone-intake-form [type=submit]")
        page.wait_for_url("**/cases/*")
        reference = reference_from(page.url)

    case = stored(live_server, reference)
    assert case.priority == 4
    note = case.narrative_envelope or ""
    assert rh_opened("narrative", note, live_server.line_private_key, reference) == canary
