"""A reporter writes to a Swedish line at its own address, in Swedish, reads the lawyer's reply
and answers it; everything is sealed to that line's key, never to the first line's."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from playwright.sync_api import Browser, expect
from sqlalchemy import select

import crypto
from advisory.extensions import db
from advisory.models import Case, Role
from advisory.services.line_keys import default_line, start_line_key
from advisory.services.line_settings import add_line
from advisory.services.replies import record_reply
from advisory.services.staff import add_staff
from tests.browser.conftest import LiveServer, serving
from tests.browser.test_reporter_flows import CASE_CODE, browsing
from tests.conftest import DEFAULT_NOW, TEST_SECRETS
from tests.line_helpers import swedish_texts
from tests.reporter_helpers import lookup_token_text, opened, sealed

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])


@pytest.fixture(scope="module")
def two_lines(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, X25519PrivateKey]]:
    """A server whose first line is Norwegian and whose second, `musikk`, is Swedish, each
    with a key of its own: the server, and the Swedish line's private key."""
    with serving(tmp_path_factory.mktemp("two-lines")) as server:
        with server.app.app_context():
            first_line = default_line(db.session)
            assert first_line is not None
            texts = swedish_texts(first_line, "Musiklinjen")
            line = add_line(db.session, slug="musikk", texts=texts, now=DEFAULT_NOW)
            key = start_line_key(
                db.session, line, now=DEFAULT_NOW, iterations=1000, data_key=DATA_KEY
            )
            db.session.commit()
        yield server, key.private_key


def test_a_report_in_swedish_to_the_swedish_line_is_answered_and_read(
    browser: Browser, two_lines
) -> None:
    server, swedish_key = two_lines
    narrative = f"Dirigenten skrek åt mig {secrets.token_hex(4)}"
    message = f"Tack, jag ringer på tisdag {secrets.token_hex(4)}"
    reply = f"Hej! Vi hjälper dig gärna {secrets.token_hex(4)}."

    with browsing(browser, server) as (page, wire):
        # Given the Swedish line's form, in Swedish
        page.goto(f"{server.url}/l/musikk/report")
        expect(page.locator("html")).to_have_attribute("lang", "sv")
        expect(page.locator("#report-form[data-enhanced]")).to_have_count(1)

        # When a report is written and sent to the inbox
        page.check("input[name=kind][value=abuse_of_power]")
        page.fill("#narrative", narrative)
        page.check("input[name=contact_preference][value=inbox]")
        page.click("#report-form [type=submit]")
        code_box = page.locator("[data-case-code]")
        expect(code_box).to_have_text(CASE_CODE)
        code = code_box.inner_text().strip()

        # Then the case is the Swedish line's, sealed to its key
        with server.app.app_context():
            case = db.session.scalars(select(Case)).one()
            assert case.line.slug == "musikk"
            assert (
                opened(
                    "narrative",
                    case.narrative_envelope,
                    swedish_key,
                    case.reference,
                    line_slug="musikk",
                )
                == narrative
            )
            # and a lawyer of the line answers
            lawyer = add_staff(
                db.session,
                username="advokat",
                role=Role.LAWYER,
                data_key=DATA_KEY,
                now=DEFAULT_NOW,
                line_id=case.line_id,
            ).staff
            public = crypto.reporter_private_key(code).public_key()
            envelope = sealed("reply", reply, public, case.reference, line_slug="musikk")
            record_reply(db.session, case=case, envelope=envelope, author=lawyer, now=DEFAULT_NOW)
            db.session.commit()
            reference = case.reference

        # When the reporter opens the inbox at the bare address (the first line's) and answers
        page.goto(f"{server.url}/follow-up")
        page.fill("#code", code)
        page.click("form[data-opens-inbox] [type=submit]")
        expect(page.locator(".thread .to_reporter .body")).to_have_text(reply)
        page.fill("#message", message)
        page.click("[data-seals-message] [type=submit]")
        expect(page.locator(".notice")).to_be_visible()

    # Then the answer was sealed in the browser to the case's line's key, not the page's
    [sent] = wire.to("/follow-up/message")
    assert sent.one("lookup_token") == lookup_token_text(code)
    envelope = sent.one("message_envelope")
    assert opened("message", envelope, swedish_key, reference, line_slug="musikk") == message
