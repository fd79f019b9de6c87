"""Key custody in Chromium: no password crosses the wire, and the line key passes from lawyer
to lawyer only through their browsers, after they compare a fingerprint.

Every POST each browser sends is recorded. The typed passwords, and the wrapping key a
password gives (computed here the way the browser computes it), appear in none of them; what
the server stores and logs holds no password either. A key the server swaps shows a
fingerprint the colleague does not see on their own page. An account made before the
credential split signs in, is upgraded, and still reads the cases it read before.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import TYPE_CHECKING

import pyotp
import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

import crypto
from advisory import passwords
from advisory.extensions import db
from advisory.models import Case, CredentialScheme, LineKey, Role, Staff, WrapKind, WrappedKey
from advisory.services.line_key_rotation import current_holders
from advisory.services.line_keys import active_line_key, default_line
from advisory.services.staff import add_staff, deactivate_staff
from crypto.encoding import b64url_encode
from tests.browser.staff_helpers import DATA_KEY, enrolled_staff, sign_in
from tests.browser.test_reporter_flows import SentForm, browsing
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW
from tests.staff_credentials import credentials_for
from tests.support.legacy_proofs import legacy_password_hash
from tests.support.line_key_wraps import opened_grant, wrapped_under_password

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

FINGERPRINT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def case_with_story(live_server: LiveServer, story: str) -> str:
    """A case of the line whose narrative is sealed to the line key, as a report stores it;
    returns its reference."""
    with live_server.app.app_context():
        session = db.session()
        line = default_line(session)
        assert line is not None
        line_key = active_line_key(session, line.id)
        assert line_key is not None
        public = crypto.public_key_from_text(line_key.public_key)
        reference = crypto.generate_reference()
        where = crypto.EnvelopeContext(line.slug, reference, "reporter-to-line")
        case = Case(
            reference=reference,
            line_id=line.id,
            received_at=DEFAULT_NOW,
            channel="web",
            kind="other",
            contact_preference="inbox",
            priority=3,
            callback_due_at=DEFAULT_NOW,
            narrative_envelope=crypto.seal("narrative", story.encode(), public, where),
        )
        session.add(case)
        session.commit()
        return case.reference


def own_fingerprint(page: Page, live_server: LiveServer) -> str:
    page.goto(f"{live_server.url}/staff/colleagues")
    mine = page.locator("[data-own-fingerprint]")
    expect(mine).to_have_text(FINGERPRINT)
    return mine.inner_text()


def colleague_entry(page: Page, username: str) -> Locator:
    return page.locator("ul.colleagues > li", has=page.locator(f"h3:text-is('{username}')"))


def fingerprint_shown_for(page: Page, live_server: LiveServer, username: str) -> str:
    page.goto(f"{live_server.url}/staff/colleagues")
    shown = colleague_entry(page, username).locator("[data-fingerprint-of]")
    expect(shown).to_have_text(FINGERPRINT)
    return shown.inner_text()


def secrets_in(posts: list[SentForm], secrets_: list[bytes]) -> list[str]:
    """Which of `secrets_` any recorded POST body carries, in any of the forms a page could
    have sent it (as is, base64url, hex)."""
    found = []
    for secret in secrets_:
        forms = [secret, b64url_encode(secret).encode(), secret.hex().encode()]
        if any(form in post.raw for post in posts for form in forms if len(form) >= 8):
            found.append(secret[:12].decode(errors="replace"))
    return found


def test_a_lawyer_added_in_the_web_enrols_and_is_granted_and_no_password_crosses_the_wire(
    browser: Browser, live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    story = f"CANARY-CUSTODY-{secrets.token_hex(4)}: the director keeps touching my arm."
    new_password = f"fjord lantern quietly marble {secrets.token_hex(3)}"
    newcomer = f"bea-{secrets.token_hex(3)}"
    lawyer, lawyer_password, lawyer_seed = enrolled_staff(live_server, Role.LAWYER)
    admin, admin_password, admin_seed = enrolled_staff(live_server, Role.ADMIN)
    reference = case_with_story(live_server, story)

    # An admin adds the new lawyer in the web and reads the one-time password off the page.
    with browsing(browser, live_server) as (page, admin_wire):
        sign_in(page, live_server, admin, admin_password, admin_seed)
        page.goto(f"{live_server.url}/staff/admin/staff")
        page.fill("#username", newcomer)
        page.select_option("#role", "lawyer")
        page.click("form[action$='/staff/admin/staff'] [type=submit]")
        one_time = page.locator("#one-time-password").inner_text().strip()

    with browsing(browser, live_server) as (newcomer_page, newcomer_wire):
        # The newcomer signs in with it, enrols an authenticator and chooses a password.
        newcomer_page.goto(f"{live_server.url}/staff/login")
        newcomer_page.fill("#username", newcomer)
        newcomer_page.fill("#password", one_time)
        newcomer_page.click("form.sign-in [type=submit]")
        newcomer_page.wait_for_url(f"{live_server.url}/staff/welcome")
        seed = newcomer_page.locator(".totp-secret").inner_text().replace(" ", "")
        newcomer_page.fill("#new_password", new_password)
        newcomer_page.fill("#repeat_password", new_password)
        newcomer_page.fill("#code", pyotp.TOTP(seed).at(DEFAULT_NOW))
        newcomer_page.click("form.credential-change [type=submit]")
        newcomer_page.wait_for_url(f"{live_server.url}/queue")
        theirs = own_fingerprint(newcomer_page, live_server)

        # Before the grant the case stays sealed to them.
        newcomer_page.goto(f"{live_server.url}/cases/{reference}")
        expect(newcomer_page.locator("#key-status")).to_be_visible()

        with browsing(browser, live_server) as (page, lawyer_wire):
            # The lawyer holding the key sees the same fingerprint, ticks and grants.
            sign_in(page, live_server, lawyer, lawyer_password, lawyer_seed)
            assert fingerprint_shown_for(page, live_server, newcomer) == theirs
            entry = colleague_entry(page, newcomer)
            entry.locator("form.grant input[type=checkbox]").check()
            entry.locator("form.grant [type=submit]").click()
            expect(page.locator("p.notice[role=status]")).to_contain_text(newcomer)

        # The newcomer reads the case written before they joined, without signing in again.
        newcomer_page.goto(f"{live_server.url}/cases/{reference}")
        expect(newcomer_page.locator(".sealed.narrative .opened")).to_have_text(story)

    # No password, and no wrapping key, was in any request body.
    wrap_key = credentials_for(new_password, newcomer).wrap_key
    lawyer_wrap = credentials_for(lawyer_password, lawyer).wrap_key
    typed = [new_password, one_time, lawyer_password, admin_password]
    everything = admin_wire.posts + newcomer_wire.posts + lawyer_wire.posts
    assert secrets_in(everything, [p.encode() for p in typed] + [wrap_key, lawyer_wrap]) == []
    # … while the keys that stand in for it did go (the check above can see a body).
    welcome = newcomer_wire.to("/staff/welcome")
    assert (
        credentials_for(new_password, newcomer).auth_key_text in welcome[0].fields["new_auth_key"]
    )
    assert welcome[0].one("public_key")
    # The new password is nowhere in what the server stored or logged.
    with live_server.app.app_context(), db.engine.connect() as connection:
        dump = dump_database(connection)
    assert new_password not in dump
    assert new_password not in caplog.text
    assert one_time not in dump


def test_a_key_the_server_swaps_shows_a_fingerprint_the_colleague_does_not_see(
    browser: Browser, live_server: LiveServer
) -> None:
    lawyer, lawyer_password, lawyer_seed = enrolled_staff(live_server, Role.LAWYER)
    waiting, waiting_password, waiting_seed = enrolled_staff(
        live_server, Role.LAWYER, holding_key=False
    )
    with browsing(browser, live_server) as (page, _wire):
        sign_in(page, live_server, waiting, waiting_password, waiting_seed)
        theirs = own_fingerprint(page, live_server)
    with browsing(browser, live_server) as (page, _wire):
        sign_in(page, live_server, lawyer, lawyer_password, lawyer_seed)
        honest = fingerprint_shown_for(page, live_server, waiting)

        # Whoever controls the server puts their own key in the colleague's place.
        attacker = crypto.generate_keypair()
        with live_server.app.app_context():
            staff = db.session.scalars(select(Staff).where(Staff.username == waiting)).one()
            staff.public_key = crypto.public_key_to_text(attacker.public_key())
            db.session.commit()
        swapped = fingerprint_shown_for(page, live_server, waiting)

    assert honest == theirs
    assert swapped != theirs
    assert swapped == crypto.fingerprint(attacker.public_key())


def test_an_account_from_before_the_split_signs_in_is_upgraded_and_reads_old_cases(
    browser: Browser, live_server: LiveServer
) -> None:
    story = f"CANARY-OLD-CASE-{secrets.token_hex(4)}: reported before the upgrade."
    password = f"an old password from before {secrets.token_hex(3)}"
    username = f"old-{secrets.token_hex(3)}"
    reference = case_with_story(live_server, story)
    # What the previous version stored: argon2id of the password, the line key under it.
    with live_server.app.app_context():
        session = db.session()
        new = add_staff(
            session, username=username, role=Role.LAWYER, data_key=DATA_KEY, now=DEFAULT_NOW
        )
        staff = new.staff
        staff.password_hash = legacy_password_hash(password)
        staff.credential_scheme = CredentialScheme.PASSWORD
        staff.must_change_password = False
        staff.totp_confirmed = True
        line = default_line(session)
        assert line is not None
        line_key = active_line_key(session, line.id)
        assert line_key is not None
        session.add(
            wrapped_under_password(line_key, live_server.line_private_key, staff.id, password)
        )
        session.commit()
        staff_id, seed = staff.id, new.totp_seed

    with browsing(browser, live_server) as (page, wire):
        sign_in(page, live_server, username, password, seed)
        page.goto(f"{live_server.url}/cases/{reference}")
        expect(page.locator(".sealed.narrative .opened")).to_have_text(story)

    assert secrets_in(wire.posts, [password.encode()]) == []
    with live_server.app.app_context():
        staff = db.session.get(Staff, staff_id)
        assert staff is not None
        assert staff.credential_scheme is CredentialScheme.SPLIT_V1
        assert passwords.verify_auth_key(
            staff.password_hash, credentials_for(password, username).auth_key
        )
        assert staff.public_key is not None
        [wrap] = db.session.scalars(select(WrappedKey).where(WrappedKey.staff_id == staff_id))
        assert wrap.kind is WrapKind.GRANT
        own = crypto.unwrap_staff_private_key(
            staff.wrapped_private_key or "", credentials_for(password, username).wrap_key, staff_id
        )
        opened = crypto.open_grant(wrap.blob, line_key_id_of(live_server), staff_id, own)
        assert crypto.public_key_to_text(opened.public_key()) == live_server.line_public_key_b64


def test_an_envelope_moved_to_another_case_does_not_open_there(
    browser: Browser, live_server: LiveServer
) -> None:
    lawyer, password, seed = enrolled_staff(live_server, Role.LAWYER)
    story = f"CANARY-MOVED-{secrets.token_hex(4)}: written for one case only."
    source = case_with_story(live_server, story)
    target = case_with_story(live_server, "the target's own story")
    # Whoever can write the database moves the narrative to another case of the line.
    with live_server.app.app_context():
        cases = {c.reference: c for c in db.session.scalars(select(Case))}
        cases[target].narrative_envelope = cases[source].narrative_envelope
        db.session.commit()

    with browsing(browser, live_server) as (page, _wire):
        sign_in(page, live_server, lawyer, password, seed)
        page.goto(f"{live_server.url}/cases/{source}")
        expect(page.locator(".sealed.narrative .opened")).to_have_text(story)
        page.goto(f"{live_server.url}/cases/{target}")
        unreadable = page.evaluate(
            """() => document.getElementById("case-texts").content
                .querySelector("[data-text=unreadable]").textContent"""
        )
        expect(page.locator(".sealed.narrative p")).to_have_text(unreadable)


def test_when_a_holder_leaves_a_colleague_starts_a_new_line_key_in_the_browser(
    browser: Browser, live_server: LiveServer
) -> None:
    lawyer, password, seed = enrolled_staff(live_server, Role.LAWYER)
    other, other_password, _ = enrolled_staff(live_server, Role.LAWYER)
    leaving, _, _ = enrolled_staff(live_server, Role.LAWYER)
    with live_server.app.app_context():
        before = active_line_key(db.session, default_line(db.session).id).key_id
        deactivate_staff(db.session, username=leaving, now=DEFAULT_NOW)
        db.session.commit()

    try:
        with browsing(browser, live_server) as (page, _wire):
            sign_in(page, live_server, lawyer, password, seed)
            page.goto(f"{live_server.url}/staff/colleagues")
            expect(page.locator("form.rotate button")).to_have_class(re.compile("primary"))
            page.click("form.rotate button")
            expect(page.locator("p.notice[role=status]").first).to_be_visible()
            page.wait_for_url("**/staff/colleagues?rotated=1")

        with live_server.app.app_context():
            session = db.session()
            active = active_line_key(session, default_line(session).id)
            assert active.key_id != before
            holders = {staff.username for staff in current_holders(session, active)}
            assert {lawyer, other} <= holders
            assert leaving not in holders
            # The colleague's grant of the new key opens with their own key
            staff = session.scalars(select(Staff).where(Staff.username == other)).one()
            wrap_key = credentials_for(other_password, other).wrap_key
            own = crypto.unwrap_staff_private_key(staff.wrapped_private_key, wrap_key, staff.id)
            opened = opened_grant(session, active, staff.id, own)
            assert crypto.key_id_for(opened.public_key()) == active.key_id
    finally:
        # The other browser tests seal to the live server's first key: make it active again.
        with live_server.app.app_context():
            session = db.session()
            for key in session.scalars(select(LineKey)):
                key.retired_at = None if key.key_id == before else (key.retired_at or DEFAULT_NOW)
            session.commit()


KEYS_HELD = """async () => {
    const store = await import("/static/js/key-store.js");
    return { line: (await store.loadKeys()).size, own: Boolean(await store.loadOwnKey()) };
}"""


def held_soon(page: Page, wanted: dict[str, object], tries: int = 20) -> bool:
    """Whether the keys kept in the page become `wanted` within a second or so."""
    for _ in range(tries):
        if page.evaluate(KEYS_HELD) == wanted:
            return True
        page.wait_for_timeout(50)
    return False


def test_unlocked_keys_go_at_the_idle_timeout_and_when_the_sign_in_page_shows(
    browser: Browser, live_server: LiveServer
) -> None:
    lawyer, password, seed = enrolled_staff(live_server, Role.LAWYER)
    with browsing(browser, live_server) as (page, _wire):
        sign_in(page, live_server, lawyer, password, seed)
        assert page.evaluate(KEYS_HELD) == {"line": 1, "own": True}

        # The page's own timer: 30 idle minutes later it drops the keys and shows the sign-in
        page.clock.install()
        page.goto(f"{live_server.url}/staff")
        page.clock.fast_forward("31:00")
        page.wait_for_url(f"{live_server.url}/staff/login")
        assert page.evaluate(KEYS_HELD) == {"line": 0, "own": False}

    with browsing(browser, live_server) as (page, _wire):
        # Whoever opens the sign-in page in a browser holding keys starts without them
        other, other_password, other_seed = enrolled_staff(live_server, Role.LAWYER)
        sign_in(page, live_server, other, other_password, other_seed)
        page.goto(f"{live_server.url}/staff/login")
        expect(page.locator("form.sign-in")).to_be_visible()
        assert held_soon(page, {"line": 0, "own": False})


def test_a_password_change_sends_keys_only_and_refuses_a_common_password(
    browser: Browser, live_server: LiveServer
) -> None:
    lawyer, password, seed = enrolled_staff(live_server, Role.LAWYER)
    new_password = f"harbour violin pepper thicket {secrets.token_hex(3)}"
    with browsing(browser, live_server) as (page, wire):
        sign_in(page, live_server, lawyer, password, seed)
        page.goto(f"{live_server.url}/staff/password")
        page.fill("#current_password", password)
        page.fill("#new_password", "Password1234")
        page.fill("#repeat_password", "Password1234")
        page.click("form.credential-change [type=submit]")
        expect(page.locator("#new_password-error")).to_be_visible()
        assert wire.to("/staff/password") == []

        page.fill("#new_password", new_password)
        page.fill("#repeat_password", new_password)
        page.click("form.credential-change [type=submit]")
        page.wait_for_url("**/staff?password_changed=1")
        assert page.evaluate(KEYS_HELD) == {"line": 1, "own": True}

    [sent] = wire.to("/staff/password")
    assert sent.one("new_auth_key") == credentials_for(new_password, lawyer).auth_key_text
    typed = [password.encode(), new_password.encode()]
    wraps = [credentials_for(p, lawyer).wrap_key for p in (password, new_password)]
    assert secrets_in(wire.posts, typed + wraps) == []
    with live_server.app.app_context():
        staff = db.session.scalars(select(Staff).where(Staff.username == lawyer)).one()
        wrap_key = credentials_for(new_password, lawyer).wrap_key
        own = crypto.unwrap_staff_private_key(staff.wrapped_private_key or "", wrap_key, staff.id)
        assert crypto.public_key_to_text(own.public_key()) == staff.public_key


def line_key_id_of(live_server: LiveServer) -> str:
    public = crypto.public_key_from_text(live_server.line_public_key_b64)
    return crypto.key_id_for(public)
