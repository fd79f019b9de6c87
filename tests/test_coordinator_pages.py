"""The coordinator's pages as a coordinator sees them: figures, charts, no content, no links.

Uses the hand-made fixture of tests/coordinator_fixture.py (cases carry envelopes and a
sealed phone number, so a leak would show).
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from advisory.models import Role
from tests.coordinator_fixture import fixture_cases
from tests.test_queue import sign_in_as

__all__ = ["fixture_cases"]  # a fixture, used by name

PERIOD_ARGS = "period=range&first_day=2026-11-02&last_day=2026-11-23"
ENVELOPE = re.compile(r"v1\.[A-Za-z0-9_-]+\.")


@pytest.fixture
def coordinator(client, db_session, make_staff):
    staff = make_staff(Role.COORDINATOR, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, staff)
    return staff


# The only form fields a coordinator's page may have: its own period or year, the language
# switch and sign-out of the staff layout. No field of a case (narrative, message, number).
ALLOWED_FIELDS = {"csrf_token", "language", "next", "period", "first_day", "last_day", "year"}


IMPORT_MAP = re.compile(r'<script type="importmap">.*?</script>', re.DOTALL)


def assert_no_content(page: str) -> None:
    page = IMPORT_MAP.sub("", page)  # the modules' file names (crypto/envelope.js) are not content
    assert "ENVELOPE-OF" not in page
    assert "PHONE-NUMBER" not in page
    assert ENVELOPE.search(page) is None
    assert "/cases/" not in page  # no link to any case
    assert "<textarea" not in page
    assert set(re.findall(r'<(?:input|select)\b[^>]*\bname="([^"]+)"', page)) <= ALLOWED_FIELDS
    for name in ("narrative", "envelope", "reporter_public_key", "lookup_hmac"):
        assert name not in page.lower()


def test_dashboard_shows_figures_and_references_without_content_or_links(
    client, fixture_cases, coordinator
):
    response = client.get(f"/coordinator?{PERIOD_ARGS}")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert_no_content(page)
    assert "CASE-000F" in page  # at risk
    assert "CASE-000G" in page  # deadline passed
    for reference in ("CASE-000A", "CASE-000B", "CASE-000D", "CASE-000E", "CASE-000X"):
        assert reference not in page  # only cases at risk or breached are named
    assert not re.search(r"<a [^>]*>\s*CASE-", page)


def test_every_chart_is_an_accessible_svg_with_a_table_and_no_inline_style(
    client, fixture_cases, coordinator
):
    page = client.get(f"/coordinator?{PERIOD_ARGS}").get_data(as_text=True)

    charts = re.findall(r"<svg [^>]*>.*?</svg>", page, flags=re.DOTALL)
    assert len(charts) == 5
    for chart in charts:
        assert 'role="img"' in chart
        ids = re.search(r'aria-labelledby="([^"]+)"', chart).group(1).split()
        assert len(ids) == 2
        for element_id in ids:
            assert f'id="{element_id}"' in chart
        assert re.search(r"<title [^>]*>[^<]+</title>", chart)
        assert re.search(r"<desc [^>]*>[^<]+</desc>", chart)
    assert "style=" not in page
    assert "<style" not in page
    assert "<script>" not in page
    # The text alternative reads as a sentence in the reader's language (bokmål by default).
    assert "8 saker på 4 uker; travlest var uke 47 med 5." in page
    # The numbers of each chart are in a table on the page too.
    assert page.count("<table") >= 5
    assert "Nov" in page or "nov" in page


def test_the_dashboard_numbers_match_the_fixture(client, fixture_cases, coordinator):
    page = client.get(f"/coordinator?{PERIOD_ARGS}&lang=en").get_data(as_text=True)
    key_figures = re.search(r'<dl class="key-figures">(.*?)</dl>', page, flags=re.DOTALL).group(1)
    numbers = re.findall(r"<dd>([^<]+)", key_figures)

    assert numbers[0].strip() == "8"  # cases received
    assert numbers[4].strip() == "7"  # open now
    assert numbers[5].strip() == "1"  # deadline passed without an answer


def test_lawyers_are_refused(client, db_session, fixture_cases, make_staff):
    lawyer = make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, lawyer)

    for path in ("/coordinator", "/coordinator/report", "/coordinator/report.csv"):
        response = client.get(path)
        assert response.status_code == 403
        assert "CASE-000" not in response.get_data(as_text=True)


def test_admins_see_the_dashboard(client, db_session, fixture_cases, make_staff):
    admin = make_staff(Role.ADMIN, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, admin)

    assert client.get("/coordinator").status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=range&first_day=2026-11-20&last_day=2026-11-02", "cannot come before"),
        ("period=range&first_day=2026-11-02&last_day=2026-12-24", "cannot be in the future"),
        ("period=range&first_day=2020-01-01&last_day=2026-11-02", "At most 731 days"),
        ("period=range&last_day=2026-11-02", "Give the first day"),
        ("period=range&first_day=2026-02-31&last_day=2026-11-02", "date"),
    ],
)
def test_a_bad_date_range_is_explained_and_kept_as_typed(client, app, coordinator, query, message):
    with client.session_transaction() as session:
        session["lang"] = "en"
    response = client.get(f"/coordinator?{query}")
    page = response.get_data(as_text=True)

    assert response.status_code == 400
    assert message in page
    assert 'class="error-summary"' in page
    for value in re.findall(r"_day=([0-9-]+)", query):
        assert f'value="{value}"' in page
    assert re.search(r'<input checked[^>]*value="range"', page)


def test_yearly_report_page_and_csv_have_no_content(client, fixture_cases, coordinator):
    page = client.get("/coordinator/report?year=2026")
    download = client.get("/coordinator/report.csv?year=2026")

    assert page.status_code == 200
    assert_no_content(page.get_data(as_text=True))
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    text = download.get_data(as_text=True)
    assert download.get_data().startswith(b"\xef\xbb\xbf")  # UTF-8 for spreadsheets
    assert_no_content(text)
    assert "CASE-000" not in text
    assert "CASE-000" not in page.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 20


def test_the_report_page_links_to_the_csv_of_the_same_year(client, coordinator):
    page = client.get("/coordinator/report?year=2025").get_data(as_text=True)

    assert 'href="/coordinator/report.csv?year=2025"' in page
    assert 'href="/coordinator/report.csv?year=2025&amp;separator=semicolon"' in page


def test_the_semicolon_csv_holds_the_same_cells_with_decimal_commas(
    client, fixture_cases, coordinator
):
    plain = client.get("/coordinator/report.csv?year=2026")
    semicolon = client.get("/coordinator/report.csv?year=2026&separator=semicolon")

    assert semicolon.status_code == 200
    assert 'filename="advisory-line-2026-semicolon.csv"' in semicolon.headers["Content-Disposition"]
    assert semicolon.get_data().startswith(b"\xef\xbb\xbf")
    plain_rows = list(csv.reader(io.StringIO(plain.get_data(as_text=True))))
    semicolon_rows = list(csv.reader(io.StringIO(semicolon.get_data(as_text=True)), delimiter=";"))
    decimals = re.compile(r"^\d+\.\d$")
    assert any(decimals.match(cell) for row in plain_rows for cell in row)  # hours, e.g. 5.4
    expected = [
        [cell.replace(".", ",") if decimals.match(cell) else cell for cell in row]
        for row in plain_rows
    ]
    assert semicolon_rows == expected


@pytest.mark.parametrize("year", ["1999", "2027", "next"])
def test_a_year_without_figures_is_explained(client, coordinator, year):
    with client.session_transaction() as session:
        session["lang"] = "en"
    response = client.get(f"/coordinator/report?year={year}")

    assert response.status_code == 400
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert f'value="{year}"' in response.get_data(as_text=True)
