"""Each line has its own address, `/l/<slug>/`, with the reporter's pages of today: a report
sent there is that line's case, sealed to that line's key, with its calendar and languages.
A single-line deployment keeps its bare addresses; with several, the bare home lists them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import crypto
from advisory.models import Case, Line, Role, Staff
from advisory.services.line_keys import NewLineKey, start_line_key
from advisory.services.line_settings import add_line, texts_of
from tests.conftest import DEFAULT_NOW, TEST_SECRETS
from tests.line_helpers import swedish_texts
from tests.reporter_helpers import (
    NARRATIVE,
    STORED,
    browser_fields,
    count,
    form_reference,
    opened,
    page_at,
    page_of,
    report_data,
)

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])


@pytest.fixture
def musikk(db_session, line_key) -> NewLineKey:
    """A Swedish line beside the first one, with a key of its own, committed."""
    texts = swedish_texts(
        line_key.line, "Musiklinjen", weekly_hours="mon=10:00-12:00; tue=10:00-12:00"
    )
    line = add_line(db_session, slug="musikk", texts=texts, now=DEFAULT_NOW)
    new = start_line_key(db_session, line, now=DEFAULT_NOW, iterations=1000, data_key=DATA_KEY)
    db_session.commit()
    return new


def test_a_lines_address_serves_its_pages_in_its_language_with_its_numbers(client, musikk):
    page = client.get("/l/musikk/").get_data(as_text=True)

    assert '<html lang="sv"' in page
    assert "1177" in page
    assert "Stängt" in page  # a closed day, not a closed case ("Avslutat")
    assert "Avslutat" not in page
    assert 'href="/l/musikk/report"' in page  # its links stay on the line


@pytest.mark.parametrize(
    "path", ["/l/nowhere/", "/l/nowhere/report", "/l/musikk/staff/login", "/l/musikk/queue"]
)
def test_an_unknown_line_or_a_staff_page_under_a_line_is_not_found(client, musikk, path):
    assert client.get(path).status_code == 404


def test_with_several_lines_the_bare_home_lists_them(client, musikk):
    page = page_of(client.get("/"))

    links = {link.attrs["href"] for link in page.find_all("a")}
    assert {"/l/main/", "/l/musikk/"} <= links


def test_a_single_line_keeps_its_bare_addresses(client, line_key):
    page = client.get("/").get_data(as_text=True)

    assert 'href="/report"' in page
    assert 'href="/l/' not in page


def test_each_address_gives_its_own_lines_key(client, line_key, musikk):
    expected = (musikk.line_key.key_id, line_key.line_key.key_id)

    own = client.get("/l/musikk/api/v1/line-key").get_json()
    first = client.get("/api/v1/line-key").get_json()

    assert (own["key_id"], first["key_id"]) == expected


def test_a_report_without_script_on_a_lines_address_is_its_case_sealed_to_its_key(
    client, db_session, line_key, musikk
):
    page = page_at(client, "/l/musikk/report")
    assert page.one("form", id="report-form").attrs["action"] == "/l/musikk/report"

    response = client.post("/l/musikk/report", data=report_data(page, narrative=NARRATIVE))

    assert response.status_code == STORED
    assert response.headers["Location"].startswith("/l/musikk/report/received/")
    case = db_session.scalars(select(Case)).one()
    assert case.line_id == musikk.line.id
    text = opened(
        "narrative",
        case.narrative_envelope,
        musikk.private_key,
        case.reference,
        line_slug="musikk",
    )
    assert text == NARRATIVE
    # Monday 10:00 in Oslo is 10:00 in Stockholm too; its working day is 10:00-12:00
    assert case.callback_due_at.isoformat() == "2026-11-23T11:00:00+00:00"


def test_a_report_sealed_to_another_lines_key_is_refused_and_not_stored(
    client, db_session, line_key, musikk
):
    assert line_key.line_key.public_key  # read now: a request ends the session it came from
    page = page_at(client, "/l/musikk/report")
    fields = browser_fields(
        line_key,
        crypto.generate_case_code(),
        narrative=NARRATIVE,
        reference=form_reference(page),
        line_slug="musikk",
    )

    response = client.post("/l/musikk/report", data=report_data(page, **fields))

    assert response.status_code == 400
    assert count(db_session, Case) == 0


def test_a_lawyer_is_added_to_the_line_chosen(runner, db_session, musikk):
    unnamed = runner.invoke(args=["staff", "add", "ada", "--role", "lawyer"])
    named = runner.invoke(args=["staff", "add", "ada", "--role", "lawyer", "--line", "musikk"])

    assert unnamed.exit_code == 2
    assert "--line SLUG (lines: main, musikk)" in unnamed.output
    assert named.exit_code == 0, named.output
    ada = db_session.scalars(select(Staff).where(Staff.username == "ada")).one()
    assert ada.role is Role.LAWYER
    assert ada.line_id == db_session.scalars(select(Line.id).where(Line.slug == "musikk")).one()


def test_a_lines_times_are_shown_in_its_own_time_zone(client, db_session, line_key):
    texts = {
        **texts_of(line_key.line),
        "name": "Helsinki",
        "timezone": "Europe/Helsinki",
        "holiday_country": "FI",
        "languages": "en",
        "default_language": "en",
    }
    line = add_line(db_session, slug="helsinki", texts=texts, now=DEFAULT_NOW)
    start_line_key(db_session, line, now=DEFAULT_NOW, iterations=1000, data_key=DATA_KEY)
    db_session.commit()

    page = client.get("/l/helsinki/report").get_data(as_text=True)

    # Monday 09:00 UTC is 11:00 in Helsinki: one working day on, Tuesday 11:00 there
    [promise] = [text for text in page.splitlines() if "We will answer before" in text]
    assert "Tuesday 24 November, 11:00" in promise


def test_switching_language_keeps_the_reader_on_the_line(client, musikk):
    page = page_of(client.get("/l/musikk/stay-safe"))
    [switch] = [form for form in page.find_all("form") if "language-switch" in form.classes][:1]
    token = switch.find_all("input", name="csrf_token")[0].value
    next_path = switch.find_all("input", name="next")[0].value

    response = client.post(
        "/l/musikk/language", data={"csrf_token": token, "language": "en", "next": next_path}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/l/musikk/stay-safe"


@pytest.mark.parametrize(
    "path", ["/l/nowhere/report", "/l/nowhere/language", "/l/nowhere/follow-up"]
)
def test_a_post_to_an_unknown_line_is_not_found_whatever_it_carries(client, musikk, path):
    assert client.post(path, data={"language": "en"}).status_code == 404
    assert client.post(path, data={"x": "y" * 40_000}).status_code == 404
