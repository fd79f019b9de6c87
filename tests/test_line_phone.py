"""The line's own number for reporters: where it is shown, its hours and its voicemail, or that
the line is web-only when no number is configured."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime, time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from advisory.hours import Calendar, parse_weekly_hours
from advisory.models import Line
from advisory.services.line_status import StaffedDays, staffed_days
from tests.reporter_helpers import NARRATIVE, Element, Page, page_at, page_of, post_report

NUMBER = "+47 22 00 00 00"
NINE_TO_FOUR = ((time(9), time(16)),)
VOICEMAIL = "Leave a message outside these hours and we call back within one working day."


@pytest.fixture
def line_phone(
    app: Flask, db_session, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str | None], None]:
    """Set the line's number (None: web only) for this test: on every line there is, and in
    the configuration a line not yet made starts from."""

    def configure(number: str | None) -> None:
        settings = app.extensions["advisory_settings"]
        replaced = dataclasses.replace(settings, line_phone=number)
        monkeypatch.setitem(app.extensions, "advisory_settings", replaced)
        db_session.execute(update(Line).values(phone=number or ""))
        db_session.commit()

    return configure


def _english(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def _phone_paragraph(page: Page) -> Element:
    return page.one("p", **{"class": "line-phone"})


def _says_how_to_call(paragraph: Element) -> None:
    [link] = paragraph.find_all("a")
    assert link.attrs["href"] == "tel:+4722000000"  # a phone dials it as one string
    assert link.text == NUMBER  # a person reads it in groups
    assert VOICEMAIL in " ".join(paragraph.text.split())


def test_the_landing_page_gives_the_number_its_hours_and_the_voicemail_promise(client, line_phone):
    line_phone(NUMBER)
    _english(client)

    paragraph = _phone_paragraph(page_at(client, "/"))

    _says_how_to_call(paragraph)
    assert "Monday–Friday 09:00–16:00" in paragraph.text


def test_norwegian_hours_name_the_days_as_written_in_a_sentence(client, line_phone):
    line_phone(NUMBER)

    paragraph = _phone_paragraph(page_at(client, "/"))

    assert "mandag–fredag 09:00–16:00" in paragraph.text
    assert paragraph.find_all("a", href="tel:+4722000000")


def test_the_closed_line_text_gives_the_number_to_leave_a_message_on(client, clock, line_phone):
    line_phone(NUMBER)
    _english(client)
    clock[0] = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # a Sunday: closed

    status = page_at(client, "/").one("section", **{"class": "status"})

    assert "Closed now." in status.text
    assert [a.attrs["href"] for a in status.find_all("a")] == ["tel:+4722000000"]
    assert VOICEMAIL in " ".join(status.text.split())


def test_the_receipt_gives_the_number(client, line_key, line_phone):
    line_phone(NUMBER)
    _english(client)

    receipt = page_of(post_report(client, narrative=NARRATIVE))

    assert receipt.find_all(data_case_code=None)
    _says_how_to_call(_phone_paragraph(receipt))


def test_without_a_number_the_pages_say_the_line_is_web_only(client, line_key, line_phone):
    line_phone(None)
    _english(client)

    for page in (page_at(client, "/"), page_of(post_report(client, narrative=NARRATIVE))):
        assert "This line is web-only" in _phone_paragraph(page).text
        assert not re.search(r'href="tel:(?!11[023]")', page.html)  # only emergency numbers


def test_hours_with_a_break_and_a_weekend_day_are_grouped_as_written():
    calendar = Calendar(
        timezone="Europe/Oslo",
        weekly_hours=parse_weekly_hours(
            {
                "mon": "09:00-11:30,12:00-16:00",
                "tue": "09:00-16:00",
                "wed": "09:00-16:00",
                "thu": "",
                "fri": "09:00-16:00",
                "sat": "10:00-14:00",
            }
        ),
    )

    assert staffed_days(calendar) == (
        StaffedDays(0, 0, ((time(9), time(11, 30)), (time(12), time(16)))),
        StaffedDays(1, 2, NINE_TO_FOUR),
        StaffedDays(4, 4, NINE_TO_FOUR),
        StaffedDays(5, 5, ((time(10), time(14)),)),
    )


def test_the_page_writes_grouped_hours_in_the_reporters_language(
    app, client, line_phone, monkeypatch
):
    line_phone(NUMBER)
    settings = app.extensions["advisory_settings"]
    calendar = dataclasses.replace(
        settings.calendar,
        weekly_hours=parse_weekly_hours({"mon": "09:00-11:30,12:00-16:00", "sat": "10:00-14:00"}),
    )
    monkeypatch.setitem(
        app.extensions, "advisory_settings", dataclasses.replace(settings, calendar=calendar)
    )
    _english(client)

    paragraph = _phone_paragraph(page_at(client, "/"))

    assert "Monday 09:00–11:30, 12:00–16:00; Saturday 10:00–14:00" in paragraph.text
