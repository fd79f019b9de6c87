"""The lawyer's whole round trip in Chromium, with the reporter on the other end.

A reporter sends a report (sealed in their browser); a lawyer signs in with password and TOTP,
their browser unwraps the line key, opens the case and reads the narrative; the lawyer replies
(sealed in their browser); the reporter opens the inbox with the case code and reads it. What
the lawyer's browser sent is read off the wire: neither the reply nor the password's key
material reaches the server beyond the sign-in form itself.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from playwright.sync_api import Browser, expect
from sqlalchemy import select

import crypto
from advisory.extensions import db
from advisory.models import AuditEvent, Case, Direction, Message, Role
from tests.browser.staff_helpers import enrolled_staff, sign_in
from tests.browser.test_reporter_flows import browsing, report_with_java_script
from tests.reporter_helpers import pepper_of

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer


def lawyer_holding_the_key(live_server: LiveServer) -> tuple[str, str, str]:
    """An enrolled lawyer holding a grant of the line key: (name, password, seed)."""
    return enrolled_staff(live_server, Role.LAWYER)


def reference_of(live_server: LiveServer, code: str) -> str:
    digest = crypto.lookup_hmac(pepper_of(live_server.app), crypto.lookup_token(code))
    with live_server.app.app_context():
        return db.session.scalars(
            select(Case.reference).where(Case.reporter_lookup_hmac == digest)
        ).one()


def test_a_lawyer_reads_and_answers_a_report_and_the_reporter_reads_the_answer(
    browser: Browser, live_server: LiveServer
) -> None:
    story = f"CANARY-STORY-{secrets.token_hex(4)}: the producer threatened my contract."
    answer = f"CANARY-ANSWER-{secrets.token_hex(4)}: we can help; call us tomorrow."
    username, password, seed = lawyer_holding_the_key(live_server)

    # A reporter writes in, with JavaScript on.
    code = report_with_java_script(browser, live_server, story)
    reference = reference_of(live_server, code)

    with browsing(browser, live_server) as (page, wire):
        # The lawyer signs in with password and the current TOTP code (the server's clock).
        sign_in(page, live_server, username, password, seed)

        # Their browser unwrapped the line key and kept it non-extractable.
        held = page.evaluate(
            """async () => {
                const { loadKeys } = await import("/static/js/key-store.js");
                const keys = await loadKeys();
                return [...keys.values()].map((key) => [key.type, key.extractable]);
            }"""
        )
        assert held == [["private", False]]

        # The case opens in the browser: the narrative is shown as text.
        page.goto(f"{live_server.url}/cases/{reference}")
        expect(page.locator(".sealed.narrative .opened")).to_have_text(story)

        # The lawyer replies; the browser seals it twice and sends no text.
        page.fill("#text", answer)
        page.click("form.reply-form [type=submit]")
        expect(page.locator("p.notice[role=status]")).to_be_visible()
        expect(page.locator(".thread .to_reporter .opened")).to_have_text(answer)

    replies = wire.to(f"/cases/{reference}/reply")
    assert len(replies) == 1
    assert answer.encode() not in replies[0].raw
    assert "text" not in replies[0].fields
    for post in wire.posts:
        assert story.encode() not in post.raw

    with live_server.app.app_context():
        stored = db.session.scalars(
            select(Message).where(Message.direction == Direction.TO_REPORTER)
        ).all()
        mine = [m for m in stored if m.envelope == replies[0].one("envelope")]
        assert len(mine) == 1
        # Signed with the lawyer's own key, derived in their browser, and checked on arrival.
        assert mine[0].signature
        copy = mine[0].line_copy_envelope or ""
        where = crypto.EnvelopeContext("main", reference, "line-to-line")
        assert crypto.open("reply", copy, live_server.line_private_key, where) == answer.encode()
        opened_by = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_reference == reference)
        ).all()
        assert "case.opened" in opened_by
        assert "case.replied" in opened_by

    # The reporter comes back with the code and reads the answer.
    with browsing(browser, live_server) as (page, _wire):
        page.goto(f"{live_server.url}/follow-up")
        expect(page.locator("form[data-opens-inbox][data-enhanced]")).to_have_count(1)
        page.fill("#code", code)
        page.click("form[data-opens-inbox] [type=submit]")
        expect(page.locator(".thread .to_reporter .body")).to_have_text(answer)
        expect(page.locator(".thread .to_reporter .origin.signed")).to_be_visible()


def test_signing_out_drops_the_keys_from_the_browser(
    browser: Browser, live_server: LiveServer
) -> None:
    username, password, seed = lawyer_holding_the_key(live_server)
    count_keys = """async () => {
        const { loadKeys } = await import("/static/js/key-store.js");
        return (await loadKeys()).size;
    }"""

    with browsing(browser, live_server) as (page, _wire):
        sign_in(page, live_server, username, password, seed)
        assert page.evaluate(count_keys) == 1

        page.click("header form.sign-out [type=submit]")
        page.wait_for_url("**/staff/login?signed_out=1")
        assert page.evaluate(count_keys) == 0
