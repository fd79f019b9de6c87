"""axe-core on every page a reporter sees, in Chromium, as a reporter reaches it.

axe comes from the axe-playwright-python package's bundled `axe.min.js` (read from disk,
never a CDN). `page.add_script_tag` would insert it as an inline script, which our CSP
(`default-src 'self'`) rightly blocks; `page.evaluate` runs it through the DevTools protocol
instead, which CSP does not govern, so the pages are checked under their real policy (no
`bypass_csp`). Serious and critical violations fail the test; minor and moderate ones are
printed (`pytest -s` shows them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import axe_playwright_python
import pytest
from playwright.sync_api import Browser, Page, expect

import crypto
from tests.reporter_helpers import case_with_reply

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(
    encoding="utf-8"
)
FAILING_IMPACTS = frozenset({"serious", "critical"})
CASE_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")
REPLY = "Takk for at du skrev. Vi ringer deg i morgen, om det passer."


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.evaluate(AXE_SOURCE)
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return violations


def describe(violation: dict[str, Any]) -> str:
    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
    return f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}"


# --- how a reporter reaches each page ----------------------------------------------------------


def _report_form(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/report")
    expect(page.locator("#report-form[data-enhanced]")).to_have_count(1)


def _landing(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/")


def _report_with_errors_shown_by_script(page: Page, live_server: LiveServer) -> None:
    _report_form(page, live_server)
    page.fill("#narrative", "Something happened at the rehearsal.")
    page.click("#report-form [type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()


def _report_with_errors_from_server(page: Page, live_server: LiveServer) -> None:
    _report_form(page, live_server)
    # The plain form's own submission (no submit event, so report.js stays out of it): the
    # page the server renders for a reporter without JavaScript.
    with page.expect_navigation():
        page.evaluate("HTMLFormElement.prototype.submit.call(document.forms['report-form'])")
    expect(page.locator(".error-summary")).to_be_visible()


def _receipt(page: Page, live_server: LiveServer) -> None:
    _report_form(page, live_server)
    page.check("input[name=kind][value=general_question]")
    page.check("input[name=immediate_danger][value=yes]")
    page.check("input[name=contact_preference][value=inbox]")
    page.click("#report-form [type=submit]")
    expect(page.locator("[data-case-code]")).to_have_text(CASE_CODE)


def _receipt_asking_before_leaving(page: Page, live_server: LiveServer) -> None:
    _receipt(page, live_server)
    page.click("main a[href='/follow-up']")
    expect(page.locator("[data-leave-check]")).to_be_visible()


def _receipt_gone(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/report/received/{'A' * 43}")
    expect(page.locator("main a[href='/follow-up']")).to_be_visible()


def _follow_up(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/follow-up")
    expect(page.locator("form[data-opens-inbox][data-enhanced]")).to_have_count(1)


def _follow_up_unknown_code(page: Page, live_server: LiveServer) -> None:
    _follow_up(page, live_server)
    page.fill("#code", crypto.generate_case_code())
    page.click("form[data-opens-inbox] [type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()


def _inbox(page: Page, live_server: LiveServer) -> None:
    code = crypto.generate_case_code()
    case_with_reply(live_server.app, code, REPLY)
    _follow_up(page, live_server)
    page.fill("#code", code)
    page.click("form[data-opens-inbox] [type=submit]")
    expect(page.locator(".thread .to_reporter .body")).to_have_text(REPLY)


def _erase_confirmation(page: Page, live_server: LiveServer) -> None:
    _inbox(page, live_server)
    page.click("form[action$='/follow-up/erase'] [type=submit]")
    expect(page.locator("input[name=confirm][value=yes]")).to_have_count(1)


def _erased(page: Page, live_server: LiveServer) -> None:
    _erase_confirmation(page, live_server)
    page.click("form:has(input[name=confirm]) [type=submit]")
    expect(page.locator("main form")).to_have_count(0)


PAGES: dict[str, Callable[[Page, LiveServer], None]] = {
    "landing": _landing,
    "report form": _report_form,
    "report form, errors shown by script": _report_with_errors_shown_by_script,
    "report form, errors from the server": _report_with_errors_from_server,
    "receipt": _receipt,
    "receipt, asking before leaving": _receipt_asking_before_leaving,
    "receipt no longer shown": _receipt_gone,
    "follow-up": _follow_up,
    "follow-up, unknown code": _follow_up_unknown_code,
    "inbox": _inbox,
    "erase confirmation": _erase_confirmation,
    "erased": _erased,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_reporter_page_has_no_serious_accessibility_violations(
    browser: Browser, live_server: LiveServer, name: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else elsewhere.append(request.url)
        ),
    )
    try:
        PAGES[name](page, live_server)
        violations = axe_violations(page)
    finally:
        context.close()

    for violation in violations:
        if violation["impact"] not in FAILING_IMPACTS:
            print(f"[{name}] {describe(violation)}")
    failing = [describe(v) for v in violations if v["impact"] in FAILING_IMPACTS]
    assert failing == [], json.dumps(failing, indent=2, ensure_ascii=False)
    assert elsewhere == [], "the page or axe reached beyond the live server"
