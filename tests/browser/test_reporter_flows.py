"""The reporter's pages in Chromium, with JavaScript (the browser encrypts) and without it.

Every test gets its own browser context against the session's live server, and reads what
the server stored through the app's own database session. What the browser sent is taken
from Playwright's view of the requests, so "the plaintext never left the browser" is checked
on the wire, not inferred from the page.
"""

from __future__ import annotations

import email
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, Route, expect
from sqlalchemy import select

import crypto
from advisory.extensions import db
from advisory.models import Case, Direction, Line
from advisory.services.intake import submission_token_hmac
from tests.browser.page_helpers import expect_sealing_note
from tests.reporter_helpers import case_with_reply, lookup_token_text, pepper_of
from tests.reporter_helpers import opened as rh_opened

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

CASE_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")
PHONE = "+47 912 34 567"
# The number as it could appear in a body: typed, digits only, form-encoded.
PHONE_TRACES = ("912 34 567", "91234567", "912+34+567", "912%2034%20567")
NEUTRAL_SITE = "https://www.yr.no/"
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-results"


# --- what the browser sent ---------------------------------------------------------------------


@dataclass(frozen=True)
class SentForm:
    path: str
    raw: bytes
    fields: dict[str, list[str]]

    def one(self, name: str) -> str:
        values = self.fields.get(name, [])
        assert len(values) == 1, f"expected one {name!r} in the body, found {values!r}"
        return values[0]


@dataclass
class Wire:
    """Every POST the page sent to the live server, in order."""

    origin: str
    posts: list[SentForm] = field(default_factory=list)

    def record(self, request: Request) -> None:
        if request.method != "POST" or not request.url.startswith(self.origin):
            return
        raw = request.post_data_buffer or b""
        content_type = request.headers.get("content-type", "")
        self.posts.append(SentForm(urlsplit(request.url).path, raw, _fields(content_type, raw)))

    def to(self, path: str) -> list[SentForm]:
        return [post for post in self.posts if post.path == path]


def _fields(content_type: str, raw: bytes) -> dict[str, list[str]]:
    if content_type.startswith("multipart/form-data"):
        message = email.message_from_bytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw
        )
        found: dict[str, list[str]] = {}
        for part in message.get_payload():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            found.setdefault(str(name), []).append(payload.decode())
        return found
    return parse_qs(raw.decode(), keep_blank_values=True)


@contextmanager
def browsing(
    browser: Browser, live_server: LiveServer, **options: Any
) -> Iterator[tuple[Page, Wire]]:
    """A fresh context (no shared storage) with one page, and the POSTs it sends."""
    context = browser.new_context(**options)
    page = context.new_page()
    wire = Wire(live_server.url)
    page.on("request", wire.record)
    try:
        yield page, wire
    finally:
        context.close()


def _receipt_answer(response: Response) -> bool:
    """The receipt a stored report redirects to."""
    return urlsplit(response.url).path.startswith("/report/received/")


# --- what the server stored --------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    case_id: int
    narrative_envelope: str | None
    contact_envelopes: list[str]
    messages_from_reporter: list[str]


def stored_case(app: Flask, code: str) -> Stored:
    """The case the code finds, the way the server finds it: HMAC of its lookup token."""
    digest = crypto.lookup_hmac(pepper_of(app), crypto.lookup_token(code))
    with app.app_context():
        case = db.session.scalars(select(Case).where(Case.reporter_lookup_hmac == digest)).one()
        return Stored(
            case_id=case.id,
            narrative_envelope=case.narrative_envelope,
            contact_envelopes=[cb.contact_envelope for cb in case.callbacks if cb.contact_envelope],
            messages_from_reporter=[
                m.envelope for m in case.messages if m.direction is Direction.FROM_REPORTER
            ],
        )


def opened(live_server: LiveServer, purpose: str, envelope: str | None) -> str:
    """An envelope to the line, opened for the case it is bound to (found by trying each)."""
    assert envelope is not None
    with live_server.app.app_context():
        cases = db.session.execute(select(Line.slug, Case.reference).join(Case.line)).all()
    for slug, reference in cases:
        try:
            return rh_opened(
                purpose, envelope, live_server.line_private_key, reference, line_slug=slug
            )
        except crypto.DecryptionFailed:
            continue
    raise AssertionError("the envelope opens for no case of the line")


# --- filling the report form -------------------------------------------------------------------


def open_report_form(page: Page, live_server: LiveServer, *, enhanced: bool = True) -> None:
    page.goto(f"{live_server.url}/report")
    if enhanced:
        # report.js marks the form once it has taken over sending it.
        expect(page.locator("#report-form[data-enhanced]")).to_have_count(1)


@contextmanager
def on_the_report_form(
    browser: Browser, live_server: LiveServer, *, enhanced: bool = True, **options: Any
) -> Iterator[tuple[Page, Wire]]:
    """A fresh context (see `browsing`) whose page has the report form open."""
    with browsing(browser, live_server, **options) as (page, wire):
        open_report_form(page, live_server, enhanced=enhanced)
        yield page, wire


def choose(page: Page, name: str, value: str) -> None:
    page.check(f"input[name={name}][value={value}]")


def send_report(page: Page) -> None:
    page.click("#report-form [type=submit]")


def case_code_shown(page: Page) -> str:
    code_box = page.locator("[data-case-code]")
    expect(code_box).to_have_text(CASE_CODE)
    return code_box.inner_text().strip()


def report_with_java_script(
    browser: Browser, live_server: LiveServer, narrative: str, *, phone: str | None = None
) -> str:
    """Send an abuse-of-power report through the enhanced form, to the inbox or (given a
    phone number) for a callback at any time: the case code shown."""
    with on_the_report_form(browser, live_server) as (page, _wire):
        choose(page, "kind", "abuse_of_power")
        page.fill("#narrative", narrative)
        if phone is None:
            choose(page, "contact_preference", "inbox")
        else:
            choose(page, "contact_preference", "callback")
            page.fill("#phone", phone)
            choose(page, "slot", "any")
        send_report(page)
        return case_code_shown(page)


def send_plain_inbox_report(
    page: Page, wire: Wire, kind: str, narrative: str
) -> tuple[str, SentForm]:
    """Send the plain form (the page says the server seals): the case code, and what was sent."""
    expect_sealing_note(page, in_browser=False)
    choose(page, "kind", kind)
    page.fill("#narrative", narrative)
    choose(page, "contact_preference", "inbox")
    send_report(page)
    return case_code_shown(page), wire.to("/report")[0]


# --- reporting with JavaScript -----------------------------------------------------------------


def test_browser_encrypts_the_report_and_only_envelopes_leave_it(
    browser: Browser, live_server: LiveServer
) -> None:
    canary = f"CANARY-JS-4f2a-{secrets.token_hex(4)}"
    # Given the enhanced form, which says the browser encrypts
    with on_the_report_form(browser, live_server) as (page, wire):
        expect_sealing_note(page, in_browser=True)

        # When a callback report is filled in and sent
        choose(page, "kind", "abuse_of_power")
        page.fill("#narrative", f"{canary}: the conductor shouted at me.")
        choose(page, "contact_preference", "callback")
        page.fill("#phone", PHONE)
        choose(page, "slot", "any")
        with page.expect_response(_receipt_answer) as answer:
            send_report(page)
        code = case_code_shown(page)

        # Then the receipt replaced the form, with focus on its heading (the answer fetched,
        # after the redirect, was the receipt's title and main only: advisory/page_layout.py)
        assert 'id="script-texts"' not in answer.value.text()
        # and this history entry is the receipt's link now, which carries no code
        assert page.url == answer.value.url
        assert code.replace("-", "") not in page.url.upper().replace("-", "")
        expect(page.locator("#report-form")).to_have_count(0)
        # And no language switch is left to navigate away from the code shown once
        expect(page.locator("form.language-switch")).to_have_count(0)
        assert page.evaluate("document.activeElement.tagName") == "H1"
        assert page.title() != ""
        sent = wire.to("/report")

    # And the one POST carried envelopes and derived values, never the plaintext
    assert len(sent) == 1
    post = sent[0]
    assert canary.encode() not in post.raw
    for trace in PHONE_TRACES:
        assert trace.encode() not in post.raw
    assert "narrative" not in post.fields
    assert "phone" not in post.fields
    assert post.one("encryption") == "browser"
    assert post.one("narrative_envelope").startswith("v2.")
    assert post.one("contact_envelope").startswith("v2.")
    assert post.one("lookup_token") == lookup_token_text(code)
    public = crypto.reporter_private_key(code).public_key()
    assert post.one("reporter_public_key") == crypto.public_key_to_text(public)
    assert code.encode() not in post.raw
    assert code.replace("-", "").encode() not in post.raw

    # And the stored case (found by the code's lookup HMAC) opens with the line key
    stored = stored_case(live_server.app, code)
    assert opened(live_server, "narrative", stored.narrative_envelope).startswith(canary)
    assert [opened(live_server, "contact", e) for e in stored.contact_envelopes] == [PHONE]


def test_validation_errors_show_in_place_and_keep_the_text(
    browser: Browser, live_server: LiveServer
) -> None:
    text = f"CANARY-VALID-{secrets.token_hex(4)}\nLine two, kept as typed."
    with on_the_report_form(browser, live_server) as (page, wire):
        page.evaluate("window.sameDocument = true")
        page.fill("#narrative", text)
        choose(page, "contact_preference", "inbox")

        # When sent without the one required answer
        send_report(page)

        # Then the server's summary and field error show in this very page, focused
        summary = page.locator(".error-summary")
        expect(summary).to_be_visible()
        expect(page.locator("#kind-error")).to_be_visible()
        expect(page.locator("#kind")).to_have_attribute("aria-describedby", "kind-error")
        assert page.evaluate("document.activeElement.classList.contains('error-summary')")
        assert page.evaluate("window.sameDocument") is True
        expect(page.locator("#narrative")).to_have_value(text)

        # And a corrected form goes through, with the same submission token
        choose(page, "kind", "general_question")
        send_report(page)
        code = case_code_shown(page)
        posts = wire.to("/report")

    assert len(posts) == 2
    assert posts[0].one("submission_token") == posts[1].one("submission_token")
    assert all(text.split("\n")[0].encode() not in post.raw for post in posts)
    stored = stored_case(live_server.app, code)
    assert opened(live_server, "narrative", stored.narrative_envelope) == text


def test_retry_after_a_lost_answer_shows_the_code_of_the_one_stored_case(
    browser: Browser, live_server: LiveServer
) -> None:
    canary = f"CANARY-RETRY-{secrets.token_hex(4)}"
    attempts: list[str] = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        attempts.append("post")
        if len(attempts) == 1:
            route.fetch()  # the server stores the case ...
            route.abort("connectionreset")  # ... and the answer never reaches the page
            return
        route.continue_()

    with on_the_report_form(browser, live_server) as (page, wire):
        page.route("**/report", lose_first_answer)
        choose(page, "kind", "discrimination")
        page.fill("#narrative", canary)
        choose(page, "contact_preference", "inbox")
        send_report(page)

        # Then a clear message, and nothing typed is lost
        expect(page.locator(".error-summary")).to_be_visible()
        expect(page.locator("#narrative")).to_have_value(canary)

        # When sent again, the server answers as for the first (same token, one case)
        send_report(page)
        code = case_code_shown(page)
        posts = wire.to("/report")

    assert len(posts) == 2
    first, second = posts
    for name in ("submission_token", "lookup_token", "reporter_public_key"):
        assert first.one(name) == second.one(name)
    stored = stored_case(live_server.app, code)
    assert opened(live_server, "narrative", stored.narrative_envelope) == canary
    token_hmac = submission_token_hmac(pepper_of(live_server.app), first.one("submission_token"))
    with live_server.app.app_context():
        same_form = db.session.scalars(
            select(Case.id).where(Case.submission_token_hmac == token_hmac)
        ).all()
    assert same_form == [stored.case_id]


def test_a_number_that_is_not_a_phone_number_is_caught_before_sending(
    browser: Browser, live_server: LiveServer
) -> None:
    with on_the_report_form(browser, live_server) as (page, wire):
        choose(page, "kind", "other")
        choose(page, "contact_preference", "callback")
        page.fill("#phone", "call me maybe")
        send_report(page)

        expect(page.locator("#phone-error")).to_be_visible()
        expect(page.locator(".error-summary a[href='#phone']")).to_be_visible()
        label = page.locator("label[for=phone]").inner_text().strip()
        expect(page.locator(".error-summary a[href='#phone']")).to_contain_text(label)
        expect(page.locator("#phone")).to_have_value("call me maybe")
        assert wire.to("/report") == []


def test_danger_yes_shows_the_emergency_numbers_before_sending(
    browser: Browser, live_server: LiveServer
) -> None:
    with on_the_report_form(browser, live_server) as (page, wire):
        emergency = page.locator("#emergency-numbers")
        expect(emergency).to_be_hidden()

        choose(page, "immediate_danger", "yes")
        expect(emergency).to_be_visible()
        for number in ("112", "113", "110"):
            expect(emergency.locator(f"a[href='tel:{number}']")).to_be_visible()
        # the JavaScript fallback for browsers without :has agrees with the CSS
        expect(emergency).to_have_class(re.compile(r"\bshown\b"))

        choose(page, "immediate_danger", "no")
        expect(emergency).to_be_hidden()
        assert wire.posts == []


# --- without JavaScript ------------------------------------------------------------------------


def test_without_javascript_the_server_seals_and_the_code_opens_the_inbox(
    browser: Browser, live_server: LiveServer
) -> None:
    canary = f"CANARY-NOJS-{secrets.token_hex(4)}"
    with on_the_report_form(browser, live_server, enhanced=False, java_script_enabled=False) as (
        page,
        wire,
    ):
        code, post = send_plain_inbox_report(page, wire, "sexual_harassment", canary)

        # The plain form sent the text itself; the server sealed it on arrival
        assert post.one("narrative") == canary
        assert post.fields.get("encryption", [""]) == [""]
        stored = stored_case(live_server.app, code)
        assert opened(live_server, "narrative", stored.narrative_envelope) == canary

        # And the code, typed sloppily, opens the inbox with the case's status
        page.goto(f"{live_server.url}/follow-up")
        page.fill("#code", code.lower().replace("-", " "))
        page.click("form[data-opens-inbox] [type=submit]")
        expect(page.locator("#status-heading")).to_be_visible()
        expect(page.locator("[data-seals-message]")).to_be_visible()
        assert page.locator("input[name=code]").first.get_attribute("value") == code


def test_without_webcrypto_the_page_says_so_and_the_plain_form_posts(
    browser: Browser, live_server: LiveServer
) -> None:
    canary = f"CANARY-INSECURE-{secrets.token_hex(4)}"
    with browsing(browser, live_server) as (page, wire):
        # An insecure context (say, plain HTTP to a non-loopback host) has no WebCrypto.
        page.add_init_script(
            "Object.defineProperty(window, 'isSecureContext', { get: () => false })"
        )
        open_report_form(page, live_server, enhanced=False)
        # report.js asked the same cached question before this page did, so it has decided.
        supported = page.evaluate("async () => (await import('/static/js/hpke.js')).isSupported()")
        assert supported is False
        expect(page.locator("#report-form[data-enhanced]")).to_have_count(0)
        code, post = send_plain_inbox_report(page, wire, "other", canary)

    assert post.one("narrative") == canary
    stored = stored_case(live_server.app, code)
    assert opened(live_server, "narrative", stored.narrative_envelope) == canary


# --- the follow-up inbox with JavaScript -------------------------------------------------------


def test_inbox_opens_with_a_token_and_decrypts_replies_in_the_browser(
    browser: Browser, live_server: LiveServer
) -> None:
    code = crypto.generate_case_code()
    reply = f"Svar fra advokaten {secrets.token_hex(4)}: ring oss gjerne <b>i morgen</b>."
    case_with_reply(live_server.app, code, reply)
    message = f"CANARY-MSG-{secrets.token_hex(4)}"

    with browsing(browser, live_server) as (page, wire):
        page.goto(f"{live_server.url}/follow-up")
        expect(page.locator("form[data-opens-inbox][data-enhanced]")).to_have_count(1)

        # When the code is typed (sloppily) and the inbox opened
        page.fill("#code", code.lower().replace("-", ""))
        page.click("form[data-opens-inbox] [type=submit]")

        # Then the reply is opened in the browser and shown as text, not markup
        body = page.locator(".thread .to_reporter .body")
        expect(body).to_have_text(reply)
        assert body.locator("b").count() == 0
        assert page.evaluate("document.activeElement.tagName") == "H1"
        assert page.evaluate("[localStorage.length, sessionStorage.length]") == [0, 0]
        for cookie in page.context.cookies():
            assert code.replace("-", "") not in cookie["value"].upper()

        # When a message is written and sent
        page.fill("#message", message)
        page.click("[data-seals-message] [type=submit]")
        expect(page.locator(".notice")).to_be_visible()
        expect(page.locator("#message")).to_have_value("")
        # the swapped-in inbox is opened again
        expect(page.locator(".thread .to_reporter .body")).to_have_text(reply)

    opening = wire.to("/follow-up")
    assert len(opening) == 1
    assert "code" not in opening[0].fields
    assert opening[0].one("lookup_token") == lookup_token_text(code)
    for post in wire.posts:
        assert code.replace("-", "").encode() not in post.raw.upper().replace(b"-", b"")

    sent = wire.to("/follow-up/message")
    assert len(sent) == 1
    assert "message" not in sent[0].fields
    assert message.encode() not in sent[0].raw
    assert sent[0].one("lookup_token") == lookup_token_text(code)
    envelope = sent[0].one("message_envelope")
    stored = stored_case(live_server.app, code)
    assert stored.messages_from_reporter == [envelope]
    assert opened(live_server, "message", envelope) == message


def test_a_mistyped_code_is_explained_without_sending_it(
    browser: Browser, live_server: LiveServer
) -> None:
    with browsing(browser, live_server) as (page, wire):
        page.goto(f"{live_server.url}/follow-up")
        expect(page.locator("form[data-opens-inbox][data-enhanced]")).to_have_count(1)
        page.fill("#code", "ABCD-EFGH")
        page.click("form[data-opens-inbox] [type=submit]")

        expect(page.locator("#code-error")).to_contain_text("20")
        assert page.evaluate("document.activeElement.id") == "code"
        assert wire.posts == []


# --- quick exit --------------------------------------------------------------------------------


def neutral_site(context: BrowserContext) -> None:
    context.route(
        f"{NEUTRAL_SITE}**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>Været</title>"
        ),
    )


def test_quick_exit_leaves_and_takes_the_page_out_of_the_history(
    browser: Browser, live_server: LiveServer
) -> None:
    with browsing(browser, live_server) as (page, _):
        neutral_site(page.context)
        page.goto(f"{live_server.url}/")
        page.click("main a[href='/report']")
        page.wait_for_url(f"{live_server.url}/report")
        page.fill("#narrative", "something private")

        page.click(".quick-exit")
        page.wait_for_url(NEUTRAL_SITE)

        # Back skips the report page: its history entry now holds the neutral site. The
        # landing page before it stays in the history; no script can remove that.
        page.go_back()
        assert page.url == f"{live_server.url}/"
        assert page.url != f"{live_server.url}/report"


def test_quick_exit_works_without_javascript(browser: Browser, live_server: LiveServer) -> None:
    with browsing(browser, live_server, java_script_enabled=False) as (page, _):
        neutral_site(page.context)
        page.goto(f"{live_server.url}/report")
        page.click(".quick-exit")
        page.wait_for_url(NEUTRAL_SITE)


# --- how it looks on a phone -------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_report_form_fits_a_phone_screen(
    browser: Browser, live_server: LiveServer, javascript: bool
) -> None:
    shot = ARTEFACTS / f"report-form-390x844-{'js' if javascript else 'no-js'}.png"
    shot.unlink(missing_ok=True)
    with browsing(
        browser,
        live_server,
        viewport={"width": 390, "height": 844},
        java_script_enabled=javascript,
    ) as (page, _):
        open_report_form(page, live_server, enhanced=javascript)
        choose(page, "immediate_danger", "yes")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTEFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
    assert shot.is_file()
    assert shot.stat().st_size > 0
