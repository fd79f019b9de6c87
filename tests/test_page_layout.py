"""A form's answer fetched by our scripts is its title and <main>; a page shown is whole."""

from __future__ import annotations

import crypto
from advisory.models import Case
from tests.reporter_helpers import (
    NARRATIVE,
    browser_fields,
    count,
    get_report,
    page_of,
    report_data,
    set_up_line_key,
)

BY_SCRIPT = {"Sec-Fetch-Dest": "empty", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"}
SHOWN = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}
# What only the whole page carries: header tools, footer and the scripts' texts.
PAGE_FURNITURE = ('class="site-header"', 'class="site-footer"', 'id="script-texts"')


def _browser_report(client, db_session, **fields):
    line_key = set_up_line_key(db_session)
    sealed = browser_fields(line_key, crypto.generate_case_code(), narrative=NARRATIVE)
    return report_data(get_report(client), **sealed, **fields)


def test_a_receipt_fetched_by_the_script_is_its_title_and_main_only(client, db_session):
    data = _browser_report(client, db_session)

    # fetch follows the redirect to the receipt, and says again that it is the script asking
    response = client.post("/report", data=data, headers=BY_SCRIPT, follow_redirects=True)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = page_of(response)
    assert page.one("title").text.strip()
    assert page.one("main").find_all(data_case_code=None)
    # Invariant 3: the answer still says that the browser encrypted, and what that means
    assert page.one("main").find_all("p", **{"class": "encryption-note"})
    for furniture in PAGE_FURNITURE:
        assert furniture not in html
    assert "Sec-Fetch-Dest" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"
    assert count(db_session, Case) == 1


def test_the_same_receipt_shown_by_the_browser_is_the_whole_page(client, db_session):
    data = _browser_report(client, db_session)

    response = client.post("/report", data=data, headers=SHOWN, follow_redirects=True)

    html = response.get_data(as_text=True)
    assert page_of(response).one("main").find_all(data_case_code=None)
    for furniture in PAGE_FURNITURE:
        assert furniture in html
    assert "Sec-Fetch-Dest" in response.headers["Vary"]


def test_a_browser_that_does_not_say_gets_the_whole_page(client, db_session):
    data = _browser_report(client, db_session)

    html = client.post("/report", data=data, follow_redirects=True).get_data(as_text=True)

    for furniture in PAGE_FURNITURE:
        assert furniture in html


def test_a_refused_form_fetched_by_the_script_keeps_what_the_script_reads(client, db_session):
    data = _browser_report(client, db_session, kind=None)

    response = client.post("/report", data=data, headers=BY_SCRIPT)

    # report.js reads the error summary, the form's field errors and its offered times
    assert response.status_code == 400
    main = page_of(response).one("main")
    assert main.find_all(id="error-summary")
    assert main.find_all(id="report-form")
    assert main.find_all(id="kind-error")
    assert main.find_all(id="slot")
    assert 'id="script-texts"' not in response.get_data(as_text=True)
    assert count(db_session, Case) == 0
