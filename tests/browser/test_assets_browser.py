"""Subresource Integrity in Chromium: a file that differs from the manifest is refused.

The live server's pages carry the digests made at start-up. Here the browser's traffic is
intercepted and one file is changed on its way (a comment added at the end, which would not
change what the file does): a script so changed must not run, whether the page names it in a
tag or another module imports it (checked against the page's import map), and a stylesheet so
changed must not apply. The unchanged pages load and run under the CSP without complaint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, Route, expect

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

# Collects every CSP violation of a page from its very start (an init script runs through
# the DevTools protocol, which the page's CSP does not govern).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
REPORT_FORM_ENHANCED = "#report-form[data-enhanced]"
STYLESHEET_APPLIED = "document.querySelector('link[rel=stylesheet]').sheet !== null"


def change_on_the_way(page: Page, live_server: LiveServer, filename: str) -> None:
    """Every response for this static file reaches the browser with a comment added."""

    def add_comment(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=response.body() + b"\n/* changed */\n")

    page.route(f"{live_server.url}/static/{filename}", add_comment)


def open_report_form(page: Page, live_server: LiveServer) -> None:
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_server.url}/report", wait_until="load")  # module scripts have run


@pytest.mark.parametrize(
    "path", ["/", "/report", "/follow-up", "/staff/login"], ids=lambda path: path
)
def test_unchanged_pages_load_their_scripts_and_styles_with_no_policy_violation(
    page: Page, live_server: LiveServer, path: str
) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "integrity" in message.text else None,
    )
    page.add_init_script(RECORD_VIOLATIONS)

    page.goto(f"{live_server.url}{path}", wait_until="load")

    assert page.evaluate("window.cspViolations") == []  # the import map was allowed
    assert refused == []
    assert page.evaluate(STYLESHEET_APPLIED)


def test_the_report_form_script_runs_when_nothing_was_changed(
    page: Page, live_server: LiveServer
) -> None:
    open_report_form(page, live_server)

    expect(page.locator(REPORT_FORM_ENHANCED)).to_have_count(1)


@pytest.mark.parametrize(
    "filename",
    [
        pytest.param("js/report.js", id="the page's own script (its tag, and the import map)"),
        pytest.param("js/enhance.js", id="a module it imports (the import map)"),
        pytest.param("js/crypto/keys.js", id="a module imported two levels down"),
    ],
)
def test_a_script_changed_after_the_manifest_was_made_does_not_run(
    page: Page, live_server: LiveServer, filename: str
) -> None:
    change_on_the_way(page, live_server, filename)

    with page.expect_console_message(lambda message: "integrity" in message.text) as refusal:
        open_report_form(page, live_server)

    assert f"/static/{filename}" in refusal.value.text
    expect(page.locator(REPORT_FORM_ENHANCED)).to_have_count(0)
    assert page.evaluate("window.cspViolations") == []


@pytest.mark.parametrize("changed", [False, True], ids=["as made", "changed"])
def test_a_stylesheet_changed_after_the_manifest_was_made_is_not_applied(
    page: Page, live_server: LiveServer, changed: bool
) -> None:
    if changed:
        change_on_the_way(page, live_server, "css/site.css")

    page.goto(f"{live_server.url}/", wait_until="load")

    assert page.evaluate(STYLESHEET_APPLIED) is not changed
