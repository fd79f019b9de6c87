"""The receipt behind a one-time link: reload and Back show it, and never send the form again.

A stored report is answered with a redirect to `/report/received/<token>`. The token says
nothing about the case and the link carries no code; a code the server made is shown on the
link's first view only, and the database never holds it readable.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

import crypto
from advisory.models import Case, ReceiptLink
from advisory.services.receipt_links import LINK_LIFETIME
from advisory.services.retention import apply_retention
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW
from tests.reporter_helpers import (
    NARRATIVE,
    STORED,
    browser_fields,
    case_code_on,
    count,
    follow_up_csrf,
    get_report,
    page_of,
    report_data,
)

RECEIPT_PATH = re.compile(r"^/report/received/[A-Za-z0-9_-]{43}$")
SHOWN_ONCE = "Koden ble vist én gang"


def send(client, **fields):
    """Send the plain report form; the redirect it answers with, not followed."""
    return client.post("/report", data=report_data(get_report(client), **fields))


def test_a_stored_report_redirects_to_a_receipt_link_that_carries_no_code(
    client, db_session, line_key
):
    answer = send(client, narrative=NARRATIVE)

    assert answer.status_code == STORED
    path = answer.headers["Location"]
    assert RECEIPT_PATH.match(path)
    receipt = client.get(path)
    code = case_code_on(page_of(receipt))
    crypto.normalise_case_code(code)  # a real code is shown
    assert code.replace("-", "") not in path.upper().replace("-", "")
    assert receipt.headers["Cache-Control"] == "no-store"


def test_the_code_is_shown_on_the_first_view_only_and_never_stored_readable(
    client, db_session, line_key
):
    path = send(client, narrative=NARRATIVE).headers["Location"]
    link = db_session.scalars(select(ReceiptLink)).one()
    assert link.sealed_code is not None
    assert not link.sealed_in_browser

    code = case_code_on(page_of(client.get(path)))
    assert code not in dump_database(db_session.connection())
    db_session.expire_all()
    assert db_session.scalars(select(ReceiptLink)).one().sealed_code is None

    # Reload: the receipt again, saying the code was shown, and no code
    again = client.get(path)
    html = again.get_data(as_text=True)
    assert again.status_code == 200
    assert code not in html
    assert SHOWN_ONCE in html
    assert "Vi har mottatt henvendelsen din" in html


def test_a_browser_sealed_report_has_a_receipt_without_any_code(client, db_session, line_key):
    code = crypto.generate_case_code()
    data = report_data(get_report(client), **browser_fields(line_key, code, narrative=NARRATIVE))

    receipt = client.post("/report", data=data, follow_redirects=True)

    link = db_session.scalars(select(ReceiptLink)).one()
    assert link.sealed_in_browser
    assert link.sealed_code is None
    page = page_of(receipt)
    with pytest.raises(crypto.InvalidCaseCode):
        crypto.normalise_case_code(case_code_on(page))
    # The tools are there for the browser's script, the server-side download is not offered
    assert page.one(data_code_tools=None)
    assert "hidden" in page.one("button", data_download_code=None).attrs


def test_a_link_past_its_time_shows_nothing_of_the_case(client, db_session, line_key, clock):
    path = send(client, narrative=NARRATIVE).headers["Location"]

    clock[0] = DEFAULT_NOW + LINK_LIFETIME + timedelta(seconds=1)
    gone = client.get(path)

    assert gone.status_code == 404
    assert not page_of(gone).find_all(data_case_code=None)
    assert "Kvitteringen vises ikke lenger" in gone.get_data(as_text=True)


@pytest.mark.parametrize(
    "token",
    ["x", "A" * 43, "A" * 44, "A" * 5000, "%00", "....", "A" * 42 + "=", "é" * 43],
    ids=["short", "unknown", "long", "huge", "nul", "dots", "padding", "non-ascii"],
)
def test_a_forged_receipt_link_is_a_404_and_stores_nothing(client, db_session, line_key, token):
    response = client.get(f"/report/received/{token}")

    assert response.status_code == 404
    assert count(db_session, ReceiptLink) == 0


def test_the_receipt_names_the_emergency_numbers_when_someone_is_in_danger(
    client, db_session, line_key
):
    path = send(client, narrative=NARRATIVE, immediate_danger="yes").headers["Location"]

    assert "112" in page_of(client.get(path)).one("div", **{"class": "emergency shown"}).text


# --- the code as a file, without JavaScript ------------------------------------------------------


def test_the_download_button_answers_with_the_code_as_a_text_file(client, db_session, line_key):
    path = send(client, narrative=NARRATIVE).headers["Location"]
    page = page_of(client.get(path))
    code = case_code_on(page)
    form = page.one("form", data_file_name=None)

    answer = client.post(
        form.attrs["action"],
        data={"csrf_token": page.input_value("csrf_token"), "code": page.input_value("code")},
    )

    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="case-code.txt"'
    assert answer.headers["Cache-Control"] == "no-store"
    text = answer.get_data(as_text=True)
    assert f"Sakskoden din: {code}" in text
    assert "http://localhost/follow-up" in text
    # The browser's own download writes the same words around the code
    browser_text = form.attrs["data-file-text"].replace("{code}", code)
    assert browser_text.splitlines() == text.splitlines()


@pytest.mark.parametrize(
    "code", ["", "not a code", "A" * 64, "ABCD-EFGH-JKMN-PQRS-TVWX" + "0" * 40]
)
def test_the_download_refuses_anything_but_a_case_code(client, code):
    answer = client.post(
        "/report/case-code.txt", data={"csrf_token": follow_up_csrf(client), "code": code}
    )

    assert answer.status_code == 400


def test_the_download_takes_no_code_in_the_url(client):
    code = crypto.generate_case_code()

    assert client.get(f"/report/case-code.txt?code={code}").status_code == 405


# --- links go with time and with their case ------------------------------------------------------


def test_retention_deletes_links_past_their_time_and_keeps_fresh_ones(
    app, client, db_session, line_key, settings, clock
):
    send(client, narrative=NARRATIVE)
    clock[0] = DEFAULT_NOW + LINK_LIFETIME / 2
    send(client, narrative=NARRATIVE)

    apply_retention(db_session, settings, DEFAULT_NOW + LINK_LIFETIME + timedelta(seconds=1))
    db_session.commit()

    assert count(db_session, ReceiptLink) == 1


def test_a_case_erased_by_its_reporter_takes_its_links_along(client, db_session, line_key):
    path = send(client, narrative=NARRATIVE).headers["Location"]
    code = case_code_on(page_of(client.get(path)))

    client.post(
        "/follow-up/erase",
        data={"csrf_token": follow_up_csrf(client), "code": code, "confirm": "yes"},
    )

    assert count(db_session, Case) == 0
    assert count(db_session, ReceiptLink) == 0
    assert client.get(path).status_code == 404
