"""The landing page: language, opening status, and what it promises about storage."""

from datetime import UTC, datetime

import pytest

from advisory.models import Case, Field, Kind
from tests.reporter_helpers import NARRATIVE, count, get_report, page_of, report_data


def test_landing_page_is_norwegian_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="nb">' in page
    assert "Anonym rådgivning" in page
    assert "Hva vi lagrer, og hva vi ikke lagrer" in page


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Monday 23 November 2026, 10:00 in Oslo.
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "Åpent nå."),
        # Sunday 22 November 2026: closed, opens Monday 09:00.
        (datetime(2026, 11, 22, 12, 0, tzinfo=UTC), "Vi åpner igjen mandag 23. november kl. 09:00"),
        # Monday 16:00:00 Oslo time is already closed (half-open interval).
        (
            datetime(2026, 11, 23, 15, 0, tzinfo=UTC),
            "Vi åpner igjen tirsdag 24. november kl. 09:00",
        ),
        # Christmas Eve 2026 is a Thursday; closed until Monday 28 December.
        (datetime(2026, 12, 24, 10, 0, tzinfo=UTC), "Vi åpner igjen mandag 28. desember kl. 09:00"),
    ],
)
def test_landing_page_says_whether_the_line_is_open(client, clock, now, expected):
    clock[0] = now
    page = client.get("/").get_data(as_text=True)
    assert expected in page


def test_english_switch_translates_every_text_and_stays_on_the_page(client):
    landing = client.get("/")
    token = _csrf_token(landing.get_data(as_text=True))
    switched = client.post("/language", data={"csrf_token": token, "language": "en", "next": "/"})
    assert switched.status_code == 302
    assert switched.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Anonymous advice on harassment" in page
    assert "Anonym rådgivning" not in page


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\\/evil.example",
        "report",
        "//[::1",  # cannot be read as an address at all
    ],
)
def test_language_switch_never_redirects_to_another_site(client, elsewhere):
    token = _csrf_token(client.get("/").get_data(as_text=True))
    response = client.post(
        "/language", data={"csrf_token": token, "language": "en", "next": elsewhere}
    )
    assert response.headers["Location"] == "/"


def test_language_switch_returns_to_the_page_it_was_on(client):
    token = _csrf_token(client.get("/").get_data(as_text=True))
    response = client.post(
        "/language", data={"csrf_token": token, "language": "en", "next": "/follow-up"}
    )
    assert response.headers["Location"] == "/follow-up"


def test_unknown_language_is_ignored(client):
    token = _csrf_token(client.get("/").get_data(as_text=True))
    client.post("/language", data={"csrf_token": token, "language": "xx", "next": "/"})
    assert '<html lang="nb">' in client.get("/").get_data(as_text=True)


def test_retention_period_on_the_page_comes_from_settings(client, app):
    page = client.get("/").get_data(as_text=True)
    days = app.extensions["advisory_settings"].retention_days
    assert f"slettes {days} dager etter" in page


# --- the report page's language switch keeps what was typed -------------------------------------


def test_the_report_pages_language_buttons_send_the_report_form(client, line_key):
    buttons = get_report(client).find_all("button", name="language")

    # the line's other languages (a Norwegian line: nynorsk and English)
    assert [button.attrs["value"] for button in buttons] == ["nn", "en"]
    for button in buttons:
        assert button.attrs["form"] == "report-form"
        assert button.attrs["formaction"] == "/report/language"
        assert "formnovalidate" in button.attrs


def test_switching_language_on_the_report_page_keeps_what_was_typed_but_the_number(
    client, db_session, line_key
):
    form = get_report(client)
    typed = report_data(
        form,
        kind=Kind.ABUSE_OF_POWER.value,
        field=Field.STAGE.value,
        narrative=NARRATIVE,
        contact_preference="callback",
        phone="+47 912 34 567",
        language="en",
    )

    response = client.post("/report/language", data=typed)

    assert response.status_code == 200
    page = page_of(response)
    assert '<html lang="en">' in page.html
    assert page.one("h1").text == "Write to us"
    assert page.one("textarea", name="narrative").value == NARRATIVE
    assert page.checked("kind") == [Kind.ABUSE_OF_POWER.value]
    assert page.checked("contact_preference") == ["callback"]
    assert page.selected("field") == [Field.STAGE.value]
    assert page.input_value("phone") == ""
    assert "912" not in page.html
    # The same form: a report sent from it is bound to the reference the first page named.
    assert page.input_value("submission_token") == form.input_value("submission_token")
    assert (
        page.one("form", id="report-form").attrs["data-reference"]
        == form.one("form", id="report-form").attrs["data-reference"]
    )
    assert page.find_all("div", **{"class": "error-summary"}) == []
    assert count(db_session, Case) == 0
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)  # the choice stays


def test_an_unknown_language_keeps_the_page_as_it_was_with_what_was_typed(client, line_key):
    typed = report_data(get_report(client), narrative=NARRATIVE, language="xx")

    page = page_of(client.post("/report/language", data=typed))

    assert '<html lang="nb">' in page.html
    assert page.one("textarea", name="narrative").value == NARRATIVE


@pytest.mark.parametrize("token", [None, "short", "\x00" * 40, "x" * 100_000])
def test_a_language_switch_with_no_usable_form_token_gets_a_fresh_one(client, line_key, token):
    typed = report_data(get_report(client), narrative=NARRATIVE, language="en")
    del typed["submission_token"]
    if token is not None:
        typed["submission_token"] = token

    response = client.post("/report/language", data=typed)

    assert response.status_code == 200
    page = page_of(response)
    fresh = page.input_value("submission_token")
    assert 32 <= len(fresh) <= 64
    assert fresh != token
    assert page.one("textarea", name="narrative").value == NARRATIVE


def _csrf_token(page: str) -> str:
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]
