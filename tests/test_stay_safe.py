"""Safety on a phone, without a browser: the Stay safe page and the ways to it, the quick exit
on reporter pages, and a phone field that opens a number pad and is never remembered."""

from __future__ import annotations

import pytest

from tests.reporter_helpers import get_report, page_at

QUICK_EXIT = "https://www.yr.no/"


@pytest.fixture
def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


def test_the_stay_safe_page_covers_windows_devices_history_and_tor(client, english):
    response = client.get("/stay-safe")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = page_at(client, "/stay-safe")
    headings = [h.text for h in page.find_all("h2")]
    assert headings == [
        "Leave quickly",
        "Use a private window",
        "Shared and work devices",
        "Clear your history",
        "Tor Browser",
    ]
    assert page.find_all("a", href="https://www.torproject.org/", rel="noreferrer")
    assert page.find_all("a", href=QUICK_EXIT)


@pytest.mark.parametrize("path", ["/", "/report", "/follow-up", "/stay-safe"])
def test_every_reporter_page_links_to_stay_safe_and_has_the_quick_exit(client, line_key, path):
    page = page_at(client, path)

    assert page.one("footer").find_all("a", href="/stay-safe")
    assert page.one("header").find_all("a", href=QUICK_EXIT)


def test_the_landing_page_points_to_the_stay_safe_page_and_esc_twice(client, english):
    safety = page_at(client, "/").one("section", **{"class": "safety"})

    assert safety.find_all("a", href="/stay-safe")
    assert "Esc pressed twice" in safety.text


def test_the_phone_field_opens_a_number_pad_and_is_not_remembered(client, line_key):
    phone = get_report(client).one("input", name="phone")

    assert phone.attrs["inputmode"] == "tel"
    assert phone.attrs["autocomplete"] == "off"
