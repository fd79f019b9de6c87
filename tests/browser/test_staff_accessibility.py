"""axe-core on the staff pages, in Chromium, as staff reach them: through the real sign-in.

The same check as the reporter pages (`test_accessibility`): serious and critical violations
fail, minor and moderate ones are printed (`pytest -s` shows them), and nothing the page or
axe asks for may leave the live server. A lawyer and a coordinator each sign in once for the
module (a lawyer's browser unwraps the line key at sign-in, which takes a while); each of their
pages is then reached in that signed-in context, with a reported case and a notice to show.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

import crypto
from advisory.extensions import db
from advisory.models import Role, Staff
from advisory.services.notifications import NotificationKind, notify
from tests.browser.staff_helpers import enrolled_staff, sign_in
from tests.browser.test_accessibility import FAILING_IMPACTS, axe_violations, describe
from tests.browser.test_lawyer_flow import reference_of
from tests.browser.test_reporter_flows import report_with_java_script
from tests.conftest import DEFAULT_NOW
from tests.reporter_helpers import PHONE, case_with_reply

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

STORY = "The producer kept my fee and threatened my next contract."


@dataclass
class Visit:
    """A browser page on the live server, the case it may look at, and what it asked elsewhere."""

    page: Page
    origin: str
    reference: str = ""
    elsewhere: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("request", lambda request: self._note(request.url))

    def _note(self, url: str) -> None:
        if not url.startswith(self.origin):
            self.elsewhere.append(url)

    def go(self, path: str) -> None:
        self.page.goto(f"{self.origin}{path}")


# --- what there is to see ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def reported_case(browser: Browser, live_server: LiveServer) -> str:
    """A callback report sent through the report form (its reference), and an answered case."""
    code = report_with_java_script(browser, live_server, STORY, phone=PHONE)
    # An answered case too, so that the figures have a response time to show.
    case_with_reply(live_server.app, crypto.generate_case_code(), "Takk, vi ringer deg.")
    return reference_of(live_server, code)


def signed_in(
    browser: Browser, live_server: LiveServer, role: Role, reference: str
) -> Iterator[Visit]:
    username, password, seed = enrolled_staff(live_server, role)
    context = browser.new_context()
    try:
        visit = Visit(context.new_page(), live_server.url, reference)
        sign_in(visit.page, live_server, username, password, seed)
        _notice_for(live_server, username, reference)
        yield visit
    finally:
        context.close()


def _notice_for(live_server: LiveServer, username: str, reference: str) -> None:
    with live_server.app.app_context():
        session = db.session()
        staff_id = session.scalars(select(Staff.id).where(Staff.username == username)).one()
        notify(
            session,
            kind=NotificationKind.DEADLINE_AT_RISK,
            dedupe_key=f"accessibility:{username}",
            now=DEFAULT_NOW,
            staff_id=staff_id,
            case_reference=reference,
        )
        session.commit()


@pytest.fixture(scope="module")
def lawyer(browser: Browser, live_server: LiveServer, reported_case: str) -> Iterator[Visit]:
    yield from signed_in(browser, live_server, Role.LAWYER, reported_case)


@pytest.fixture(scope="module")
def coordinator(browser: Browser, live_server: LiveServer, reported_case: str) -> Iterator[Visit]:
    yield from signed_in(browser, live_server, Role.COORDINATOR, reported_case)


@pytest.fixture
def anonymous(browser: Browser, live_server: LiveServer) -> Iterator[Visit]:
    context = browser.new_context()
    try:
        yield Visit(context.new_page(), live_server.url)
    finally:
        context.close()


# --- how staff reach each page -----------------------------------------------------------------


def _sign_in_page(visit: Visit) -> None:
    visit.go("/staff/login")
    expect(visit.page.locator("form.sign-in")).to_be_visible()


def _sign_in_refused(visit: Visit) -> None:
    _sign_in_page(visit)
    visit.page.fill("#username", "nobody-by-that-name")
    visit.page.fill("#password", "not the password")
    visit.page.fill("#code", "000000")
    visit.page.click("form.sign-in [type=submit]")
    expect(visit.page.locator(".error-summary")).to_be_visible()


def _queue(visit: Visit) -> None:
    visit.go("/queue")
    expect(visit.page.locator("table.queue tbody tr").first).to_be_visible()


def _case(visit: Visit) -> None:
    visit.go(f"/cases/{visit.reference}")
    # Opened in the browser with the key unwrapped at sign-in: the page as the lawyer reads it.
    expect(visit.page.locator(".sealed.narrative .opened")).to_have_text(STORY)


def _phone_intake(visit: Visit) -> None:
    visit.go("/queue/phone")
    expect(visit.page.locator("#phone-intake-form[data-enhanced]")).to_have_count(1)


def _notices(visit: Visit) -> None:
    visit.go("/notices")
    expect(visit.page.locator(".notice-item").first).to_be_visible()


def _staff_home(visit: Visit) -> None:
    visit.go("/staff")
    expect(visit.page.locator("h1")).to_be_visible()


def _password_change(visit: Visit) -> None:
    visit.go("/staff/password")
    expect(visit.page.locator("form.credential-change")).to_be_visible()


def _colleagues(visit: Visit) -> None:
    visit.go("/staff/colleagues")
    # The own fingerprint is computed from the key unlocked at sign-in.
    expect(visit.page.locator("[data-own-fingerprint]")).to_have_text(FINGERPRINT)


def _dashboard(visit: Visit) -> None:
    visit.go("/coordinator")
    expect(visit.page.locator(".key-figures dd").first).not_to_have_text("0")


def _yearly_report(visit: Visit) -> None:
    visit.go("/coordinator/report")
    expect(visit.page.locator("h1")).to_be_visible()


FINGERPRINT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
Reach = Callable[[Visit], None]
ANONYMOUS: dict[str, Reach] = {
    "sign-in": _sign_in_page,
    "sign-in, refused": _sign_in_refused,
}
LAWYER: dict[str, Reach] = {
    "queue": _queue,
    "case": _case,
    "phone intake": _phone_intake,
    "notices": _notices,
    "staff home": _staff_home,
    "password change": _password_change,
    "colleagues": _colleagues,
}
COORDINATOR: dict[str, Reach] = {
    "dashboard": _dashboard,
    "yearly report": _yearly_report,
}


def _check(name: str, visit: Visit, reach: Reach) -> None:
    visit.elsewhere.clear()
    reach(visit)
    violations = axe_violations(visit.page)
    for violation in violations:
        if violation["impact"] not in FAILING_IMPACTS:
            print(f"[{name}] {describe(violation)}")
    failing = [describe(v) for v in violations if v["impact"] in FAILING_IMPACTS]
    assert failing == [], json.dumps(failing, indent=2, ensure_ascii=False)
    assert visit.elsewhere == [], "the page or axe reached beyond the live server"


@pytest.mark.parametrize("name", list(ANONYMOUS))
def test_sign_in_page_has_no_serious_accessibility_violations(anonymous: Visit, name: str) -> None:
    _check(name, anonymous, ANONYMOUS[name])


@pytest.mark.parametrize("name", list(LAWYER))
def test_lawyer_page_has_no_serious_accessibility_violations(lawyer: Visit, name: str) -> None:
    _check(name, lawyer, LAWYER[name])


@pytest.mark.parametrize("name", list(COORDINATOR))
def test_coordinator_page_has_no_serious_accessibility_violations(
    coordinator: Visit, name: str
) -> None:
    _check(name, coordinator, COORDINATOR[name])


def test_the_staff_header_reflows_on_a_narrow_phone(
    browser: Browser, live_server: LiveServer, reported_case: str
) -> None:
    # A long name with nowhere to break, and an unread notice, at 320 CSS px (WCAG reflow)
    username = f"reflow{secrets.token_hex(12)}"
    _, password, seed = enrolled_staff(live_server, Role.LAWYER, username)
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        sign_in(page, live_server, username, password, seed)
        _notice_for(live_server, username, reported_case)
        page.goto(f"{live_server.url}/notices")

        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        header = page.locator(".site-header").bounding_box()
    finally:
        context.close()

    assert overflow <= 0
    assert header is not None
    assert header["x"] + header["width"] <= 320


def test_an_audit_anchor_notice_fits_a_narrow_phone(
    browser: Browser, live_server: LiveServer
) -> None:
    # An anchor is 70 characters with nowhere to break: it must wrap, not widen the page.
    username = f"anchor{secrets.token_hex(6)}"
    _, password, seed = enrolled_staff(live_server, Role.COORDINATOR, username)
    anchor = f"123456:{'ab' * 32}"
    with live_server.app.app_context():
        notify(
            db.session(),
            kind=NotificationKind.AUDIT_ANCHOR,
            dedupe_key=f"accessibility-anchor:{username}",
            now=DEFAULT_NOW,
            role=Role.COORDINATOR,
            audit_anchor=anchor,
        )
        db.session.commit()
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        sign_in(page, live_server, username, password, seed)
        page.goto(f"{live_server.url}/notices")
        shown = page.locator("code.audit-anchor", has_text=anchor).count()
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    finally:
        context.close()

    assert shown == 1
    assert overflow <= 0


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.LAWYER, "/staff/colleagues"),
        (Role.LAWYER, "/staff/password"),
        (Role.ADMIN, "/staff/admin/staff"),
        (Role.ADMIN, "/staff/admin/lines"),
        (Role.ADMIN, "/staff/admin/lines/main"),
    ],
)
def test_the_key_and_account_pages_fit_a_narrow_phone(
    browser: Browser, live_server: LiveServer, role: Role, path: str
) -> None:
    # A colleague waiting for the key, with a long name with nowhere to break, so the
    # fingerprint and the grant form are on the page
    waiting = f"waiting{secrets.token_hex(20)}"
    enrolled_staff(live_server, Role.LAWYER, waiting, holding_key=False)
    username, password, seed = enrolled_staff(live_server, role)
    context = browser.new_context(viewport={"width": 360, "height": 640})
    try:
        page = context.new_page()
        sign_in(page, live_server, username, password, seed)
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
    finally:
        context.close()

    assert overflow <= 0
