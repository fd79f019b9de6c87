"""A line's settings as text: each field read and checked, every problem named at once."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from advisory.line_config import (
    COUNTRY_DEFAULTS,
    FIELDS,
    NORWEGIAN_LINE,
    EmergencyNumber,
    LineConfigError,
    check_slug,
    read_config,
    roster_text,
    weekly_hours_text,
)

SWEDISH = {
    **NORWEGIAN_LINE,
    "name": "Musik",
    "timezone": "Europe/Stockholm",
    "weekly_hours": "mon=09:00-15:00; tue=09:00-15:00; wed=10:00-12:00,13:00-15:00",
    "holiday_country": "SE",
    "languages": "sv, en",
    "default_language": "sv",
    "emergency_numbers": COUNTRY_DEFAULTS["SE"].emergency_numbers,
}


def test_a_swedish_line_reads_as_its_own_calendar_languages_and_numbers() -> None:
    config = read_config(SWEDISH)

    assert config.calendar.timezone == "Europe/Stockholm"
    assert config.calendar.holiday_name(date(2027, 6, 25)) == "Midsommarafton"
    assert config.calendar.weekly_hours[2] == ((time(10), time(12)), (time(13), time(15)))
    assert config.calendar.working_day_length == timedelta(hours=6)  # the longest day
    assert config.languages == ("sv", "en")
    assert config.default_language == "sv"
    assert config.emergency_numbers == (
        EmergencyNumber("112", "emergency"),
        EmergencyNumber("1177", "medical_advice"),
        EmergencyNumber("114 14", "police_tips"),
    )


def test_the_deadline_in_opening_hours_sets_the_working_day() -> None:
    config = read_config({**NORWEGIAN_LINE, "name": "x", "deadline_hours": "3"})

    assert config.calendar.working_day_length == timedelta(hours=3)


def test_every_bad_field_is_named_at_once() -> None:
    texts = {
        **SWEDISH,
        "name": "",
        "timezone": "Mars/Olympus",
        "languages": "sv, fi",
        "slot_minutes": "99999999999999999999999",
        "emergency_numbers": "112=ghostbusters",
        "closed_dates": "9999-99-99",
        "phone": "call me",
        "smtp_sender": "not an address",
    }

    with pytest.raises(LineConfigError) as refused:
        read_config(texts)

    assert set(refused.value.problems) == {
        "name",
        "timezone",
        "languages",
        "slot_minutes",
        "emergency_numbers",
        "closed_dates",
        "phone",
        "smtp_sender",
    }
    assert "Mars/Olympus" in refused.value.problems["timezone"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weekly_hours", "mon=16:00-09:00"),
        ("weekly_hours", "funday=09:00-16:00"),
        ("weekly_hours", "mon=; tue=; wed=; thu=; fri="),
        ("holiday_country", "XX"),
        ("closed_days", "02-30"),
        ("deadline_hours", "0"),
        ("deadline_hours", "-1"),
        ("deadline_hours", "١"),  # a digit, but not one we read
        ("retention_days", "0"),
        ("duty_roster", "mon=09:00-12:00"),
        ("default_language", "sv"),  # not among the line's languages
        ("description", "a\x00b"),
        ("name", "x" * 121),
        ("languages", "nb, " * 20),  # valid words, longer than its column holds
        ("weekly_hours", "mon=09:00-10:00," * 30),
        ("smtp_sender", "line\x00@example.org"),
        ("timezone", "Europe/Oslo\x00"),
        ("slot_minutes", "9" * 10_000),
        ("timezone", "Factory"),  # zoneinfo knows it, the pages' formatter does not
        ("timezone", "posix/Europe/Oslo"),
        ("duty_roster", "mon=09:00-16:00*99999999999999999999"),
        ("closed_days", "W52"),  # an ISO week, which date.fromisoformat reads as a day
        ("closed_dates", "2026-W52-1"),
        ("closed_dates", "20261224"),
        ("weekly_hours", "mon=٠٩:00-16:00"),  # digits of another script
        ("duty_roster", "mon=09:00-16:00*٢"),
        ("weekly_hours", "mon=09:00-12:00; mon=13:00-16:00"),  # which one was meant?
        ("smtp_sender", "a,b@example.org"),
        ("smtp_sender", "Line <line@example.org>"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(field: str, value: str) -> None:
    with pytest.raises(LineConfigError) as refused:
        read_config({**NORWEGIAN_LINE, "name": "Line", field: value})

    assert field in refused.value.problems


def test_a_huge_number_is_refused_with_the_range_not_a_parser_error() -> None:
    with pytest.raises(LineConfigError) as refused:
        read_config({**NORWEGIAN_LINE, "name": "Line", "retention_days": "9" * 10_000})

    assert refused.value.problems == {"retention_days": "a whole number from 1 to 3660"}


def test_the_default_language_must_be_offered() -> None:
    with pytest.raises(LineConfigError) as refused:
        read_config({**SWEDISH, "default_language": "da"})

    assert refused.value.problems == {
        "default_language": "must be one of the languages the line offers"
    }


@pytest.mark.parametrize("country", sorted(COUNTRY_DEFAULTS))
def test_each_countrys_defaults_make_a_working_line(country: str) -> None:
    defaults = COUNTRY_DEFAULTS[country]
    config = read_config(
        {
            **NORWEGIAN_LINE,
            "name": country,
            "holiday_country": country,
            "timezone": defaults.timezone,
            "languages": defaults.languages,
            "default_language": defaults.default_language,
            "emergency_numbers": defaults.emergency_numbers,
        }
    )

    assert config.emergency_numbers[0].number == "112"
    assert config.calendar.holiday_country == country


def test_texts_made_from_settings_read_back_the_same() -> None:
    config = read_config({**SWEDISH, "duty_roster": "mon=09:00-12:00*3,12:00-24:00*1"})

    again = read_config(
        {
            **SWEDISH,
            "weekly_hours": weekly_hours_text(config.calendar.weekly_hours),
            "duty_roster": roster_text(config.roster),
        }
    )

    assert again == config


@pytest.mark.parametrize("slug", ["musikk", "scene-og-film", "a", "x1"])
def test_a_slug_is_lower_case_letters_digits_and_inner_hyphens(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "Musikk", "-a", "a-", "a/b", "æøå", "a" * 41, "../x"])
def test_any_other_slug_is_refused(slug: str) -> None:
    with pytest.raises(LineConfigError):
        check_slug(slug)


def test_the_norwegian_line_names_every_field_but_its_name() -> None:
    assert set(NORWEGIAN_LINE) == set(FIELDS) - {"name"}
