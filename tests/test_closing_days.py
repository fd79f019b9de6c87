"""The days our offices close, per country and year: truth tables written out by hand.

Sources for the tables: Easter Sunday 2026-04-05, 2027-03-28, 2028-04-16, 2029-04-01,
2030-04-21; Maundy Thursday = Easter - 3, Good Friday - 2, Easter Monday + 1, Ascension + 39,
Pentecost + 49, Whit Monday + 50. Midsummer Eve is the Friday 19-25 June and Midsummer Day the
Saturday after (SE, FI); All Saints' Day the Saturday 31 October - 6 November (SE, FI).
Iceland's First Day of Summer is the first Thursday after 18 April, its Commerce Day the first
Monday of August. Denmark has had no Store Bededag since 2024. Weekdays from a paper calendar.
"""

from __future__ import annotations

from datetime import date

import holidays
import pytest

from advisory.closing_days import NORDIC_COUNTRIES, closing_days, holiday_language

YEARS = range(2026, 2031)

# fmt: off
# Norway: New Year, Maundy Thu, Good Fri, Easter Sun, Easter Mon, 1 May, Ascension, 17 May,
# Pentecost, Whit Mon, Christmas Eve, Christmas, Boxing Day, New Year's Eve.
NORWAY = {
    2026: ["01-01", "04-02", "04-03", "04-05", "04-06", "05-01", "05-14", "05-17",
           "05-24", "05-25", "12-24", "12-25", "12-26", "12-31"],
    # Whit Monday falls on 17 May: thirteen days, not fourteen.
    2027: ["01-01", "03-25", "03-26", "03-28", "03-29", "05-01", "05-06", "05-17",
           "05-16", "12-24", "12-25", "12-26", "12-31"],
    2028: ["01-01", "04-13", "04-14", "04-16", "04-17", "05-01", "05-25", "05-17",
           "06-04", "06-05", "12-24", "12-25", "12-26", "12-31"],
    2029: ["01-01", "03-29", "03-30", "04-01", "04-02", "05-01", "05-10", "05-17",
           "05-20", "05-21", "12-24", "12-25", "12-26", "12-31"],
    2030: ["01-01", "04-18", "04-19", "04-21", "04-22", "05-01", "05-30", "05-17",
           "06-09", "06-10", "12-24", "12-25", "12-26", "12-31"],
}

# Sweden: New Year, Epiphany, Good Fri, Easter Sun, Easter Mon, 1 May, Ascension, Pentecost,
# National Day, Midsummer Eve, Midsummer Day, All Saints, Christmas Eve, Christmas,
# Boxing Day, New Year's Eve. No Maundy Thursday, no Whit Monday (gone since 2005).
SWEDEN = {
    2026: ["01-01", "01-06", "04-03", "04-05", "04-06", "05-01", "05-14", "05-24",
           "06-06", "06-19", "06-20", "10-31", "12-24", "12-25", "12-26", "12-31"],
    2027: ["01-01", "01-06", "03-26", "03-28", "03-29", "05-01", "05-06", "05-16",
           "06-06", "06-25", "06-26", "11-06", "12-24", "12-25", "12-26", "12-31"],
    2028: ["01-01", "01-06", "04-14", "04-16", "04-17", "05-01", "05-25", "06-04",
           "06-06", "06-23", "06-24", "11-04", "12-24", "12-25", "12-26", "12-31"],
    2029: ["01-01", "01-06", "03-30", "04-01", "04-02", "05-01", "05-10", "05-20",
           "06-06", "06-22", "06-23", "11-03", "12-24", "12-25", "12-26", "12-31"],
    2030: ["01-01", "01-06", "04-19", "04-21", "04-22", "05-01", "05-30", "06-09",
           "06-06", "06-21", "06-22", "11-02", "12-24", "12-25", "12-26", "12-31"],
}

# Denmark: New Year, Maundy Thu, Good Fri, Easter Sun, Easter Mon, Ascension, Pentecost,
# Whit Mon, Christmas Eve, Christmas, Boxing Day, New Year's Eve. Open on 1 May and 5 June.
DENMARK = {
    2026: ["01-01", "04-02", "04-03", "04-05", "04-06", "05-14", "05-24", "05-25",
           "12-24", "12-25", "12-26", "12-31"],
    2027: ["01-01", "03-25", "03-26", "03-28", "03-29", "05-06", "05-16", "05-17",
           "12-24", "12-25", "12-26", "12-31"],
    # Whit Monday is 5 June, Constitution Day: closed as Whit Monday.
    2028: ["01-01", "04-13", "04-14", "04-16", "04-17", "05-25", "06-04", "06-05",
           "12-24", "12-25", "12-26", "12-31"],
    2029: ["01-01", "03-29", "03-30", "04-01", "04-02", "05-10", "05-20", "05-21",
           "12-24", "12-25", "12-26", "12-31"],
    2030: ["01-01", "04-18", "04-19", "04-21", "04-22", "05-30", "06-09", "06-10",
           "12-24", "12-25", "12-26", "12-31"],
}

# Finland: New Year, Epiphany, Good Fri, Easter Sun, Easter Mon, 1 May, Ascension, Pentecost,
# Midsummer Eve, Midsummer Day, All Saints, Independence Day, Christmas Eve, Christmas,
# St Stephen's Day. New Year's Eve is a working day.
FINLAND = {
    2026: ["01-01", "01-06", "04-03", "04-05", "04-06", "05-01", "05-14", "05-24",
           "06-19", "06-20", "10-31", "12-06", "12-24", "12-25", "12-26"],
    2027: ["01-01", "01-06", "03-26", "03-28", "03-29", "05-01", "05-06", "05-16",
           "06-25", "06-26", "11-06", "12-06", "12-24", "12-25", "12-26"],
    2028: ["01-01", "01-06", "04-14", "04-16", "04-17", "05-01", "05-25", "06-04",
           "06-23", "06-24", "11-04", "12-06", "12-24", "12-25", "12-26"],
    2029: ["01-01", "01-06", "03-30", "04-01", "04-02", "05-01", "05-10", "05-20",
           "06-22", "06-23", "11-03", "12-06", "12-24", "12-25", "12-26"],
    2030: ["01-01", "01-06", "04-19", "04-21", "04-22", "05-01", "05-30", "06-09",
           "06-21", "06-22", "11-02", "12-06", "12-24", "12-25", "12-26"],
}

# Iceland: New Year, Maundy Thu, Good Fri, Easter Sun, Easter Mon, First Day of Summer, 1 May,
# Ascension, Pentecost, Whit Mon, 17 June, Commerce Day, Christmas Eve, Christmas,
# Boxing Day, New Year's Eve.
ICELAND = {
    2026: ["01-01", "04-02", "04-03", "04-05", "04-06", "04-23", "05-01", "05-14",
           "05-24", "05-25", "06-17", "08-03", "12-24", "12-25", "12-26", "12-31"],
    2027: ["01-01", "03-25", "03-26", "03-28", "03-29", "04-22", "05-01", "05-06",
           "05-16", "05-17", "06-17", "08-02", "12-24", "12-25", "12-26", "12-31"],
    2028: ["01-01", "04-13", "04-14", "04-16", "04-17", "04-20", "05-01", "05-25",
           "06-04", "06-05", "06-17", "08-07", "12-24", "12-25", "12-26", "12-31"],
    2029: ["01-01", "03-29", "03-30", "04-01", "04-02", "04-19", "05-01", "05-10",
           "05-20", "05-21", "06-17", "08-06", "12-24", "12-25", "12-26", "12-31"],
    2030: ["01-01", "04-18", "04-19", "04-21", "04-22", "04-25", "05-01", "05-30",
           "06-09", "06-10", "06-17", "08-05", "12-24", "12-25", "12-26", "12-31"],
}
# fmt: on

CLOSED = {"NO": NORWAY, "SE": SWEDEN, "DK": DENMARK, "FI": FINLAND, "IS": ICELAND}


def expected(country: str, year: int) -> set[date]:
    return {date.fromisoformat(f"{year}-{month_day}") for month_day in CLOSED[country][year]}


def difference(actual: set[date], wanted: set[date]) -> str:
    missing = ", ".join(day.isoformat() for day in sorted(wanted - actual)) or "none"
    extra = ", ".join(day.isoformat() for day in sorted(actual - wanted)) or "none"
    return f"missing: {missing}; extra: {extra}"


# --- the truth tables -----------------------------------------------------------------------


def test_every_nordic_country_has_a_table_for_every_year():
    assert set(CLOSED) == set(NORDIC_COUNTRIES)
    assert all(set(table) == set(YEARS) for table in CLOSED.values())


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("country", NORDIC_COUNTRIES)
def test_offices_close_on_exactly_the_days_in_the_table(country: str, year: int):
    actual = set(closing_days(country, year))
    wanted = expected(country, year)
    assert actual == wanted, f"{country} {year}: {difference(actual, wanted)}"


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("country", NORDIC_COUNTRIES)
def test_names_do_not_change_which_days_close(country: str, year: int):
    assert set(closing_days(country, year, "en_US")) == set(closing_days(country, year))


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("language", ["sv", "en_US"])
def test_a_swedish_sunday_is_closed_only_as_a_named_holiday(year: int, language: str):
    # Given the package's name for a plain Sunday (the first one in February has no holiday)
    february_sunday = next(
        date(year, 2, day) for day in range(1, 8) if date(year, 2, day).weekday() == 6
    )
    with_sundays = holidays.Sweden(years=year, include_sundays=True, language=language)
    plain_sunday = with_sundays[february_sunday]
    # When we list the Swedish closing days
    table = closing_days("SE", year, language)
    # Then the only Sundays are the table's (Easter Sunday, Pentecost, or a fixed holiday that
    # falls on a Sunday), and none of them goes by the plain Sunday's name
    sundays = {day: name for day, name in table.items() if day.weekday() == 6}
    assert set(sundays) == {day for day in expected("SE", year) if day.weekday() == 6}
    assert not [name for name in sundays.values() if plain_sunday in name.split("; ")]


# --- where the package differs from practice ------------------------------------------------


@pytest.mark.parametrize(
    ("country", "day"),
    [
        ("NO", date(2026, 12, 24)),  # Julaften: not in the package at all
        ("NO", date(2026, 12, 31)),  # Nyttårsaften: not in the package at all
        ("SE", date(2026, 6, 19)),  # Midsommarafton: DE_FACTO in the package
        ("SE", date(2026, 12, 24)),  # Julafton: DE_FACTO
        ("SE", date(2026, 12, 31)),  # Nyårsafton: DE_FACTO
        ("DK", date(2026, 12, 24)),  # Juleaftensdag: OPTIONAL in the package
        ("DK", date(2026, 12, 31)),  # Nytårsaften: OPTIONAL
        ("IS", date(2026, 12, 24)),  # Aðfangadagur: HALF_DAY, from 13:00 by law
        ("IS", date(2026, 12, 31)),  # Gamlársdagur: HALF_DAY, from 13:00 by law
    ],
)
def test_offices_close_on_days_the_package_calls_no_public_holiday(country: str, day: date):
    assert day not in holidays.country_holidays(country, years=day.year)
    assert day in closing_days(country, day.year)


@pytest.mark.parametrize(
    ("country", "day"),
    [
        ("DK", date(2026, 5, 1)),  # Arbejdernes kampdag: the state works
        ("DK", date(2026, 6, 5)),  # Grundlovsdag: the state works, others close from noon
        ("FI", date(2026, 12, 31)),  # Uudenvuodenaatto: a working day
        ("SE", date(2026, 4, 2)),  # Skärtorsdagen: the bank closes at 14:00, offices do not
        ("SE", date(2026, 5, 15)),  # Klämdag after Ascension: optional
    ],
)
def test_offices_open_on_days_some_employers_give_off(country: str, day: date):
    assert day not in closing_days(country, day.year)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "day", "language", "name"),
    [
        ("NO", date(2026, 12, 24), "no", "Julaften"),
        ("NO", date(2026, 12, 24), "en_US", "Christmas Eve"),
        ("NO", date(2026, 12, 24), None, "Julaften"),
        ("NO", date(2026, 12, 24), "uk", "Julaften"),  # no Ukrainian name of ours: Norwegian
        ("NO", date(2026, 12, 31), "no", "Nyttårsaften"),
        ("NO", date(2026, 12, 31), "en_US", "New Year's Eve"),
        ("IS", date(2026, 12, 24), "is", "Aðfangadagur"),
        ("IS", date(2026, 12, 31), "en_US", "New Year's Eve"),
        ("DK", date(2026, 12, 24), "da", "Juleaftensdag"),
        ("DK", date(2026, 12, 24), "en_US", "Christmas Eve"),
        ("SE", date(2026, 6, 19), "sv", "Midsommarafton"),
        ("SE", date(2026, 6, 19), "en_US", "Midsummer Eve"),
        ("FI", date(2026, 6, 19), None, "Juhannusaatto"),
        ("FI", date(2026, 12, 24), "sv_FI", "Julafton"),
    ],
)
def test_closed_days_are_named_in_the_language_asked_for(
    country: str, day: date, language: str | None, name: str
):
    assert closing_days(country, day.year, language)[day] == name


def test_a_language_the_package_cannot_name_in_is_refused():
    with pytest.raises(ValueError, match="'fi'"):
        closing_days("NO", 2026, "fi")


@pytest.mark.parametrize(
    ("country", "locale", "language"),
    [
        ("NO", "nb", "no"),
        ("NO", "nn", "no"),
        ("NO", "en", "en_US"),
        ("SE", "sv", "sv"),
        ("SE", "en", "en_US"),
        ("DK", "da", "da"),
        ("DK", "en", "en_US"),
        ("FI", "sv", "sv_FI"),  # Finland's Swedish names for a Swedish page
        ("FI", "en", "en_US"),
        ("IS", "en", "en_US"),
        # Nothing close: the country's own names
        ("SE", "nb", None),
        ("NO", "sv", None),
        ("DK", "nn", None),
        ("IS", "da", None),
        ("FI", "nb", None),
    ],
)
def test_holiday_language_for_a_page_locale(country: str, locale: str, language: str | None):
    assert holiday_language(country, locale) == language


@pytest.mark.parametrize("locale", ["nb", "nn", "sv", "da", "en"])
@pytest.mark.parametrize("country", NORDIC_COUNTRIES)
def test_every_holiday_language_chosen_can_name_the_days(country: str, locale: str):
    assert closing_days(country, 2026, holiday_language(country, locale))


# --- the mapping itself ---------------------------------------------------------------------


def test_the_table_is_read_only():
    table = closing_days("NO", 2026)
    with pytest.raises(TypeError):
        table[date(2026, 7, 1)] = "Sommerferie"
    assert date(2026, 7, 1) not in closing_days("NO", 2026)


def test_the_table_is_built_once_per_country_year_and_language():
    assert closing_days("SE", 2027, "sv") is closing_days("SE", 2027, "sv")


def test_the_table_runs_in_date_order():
    days = list(closing_days("IS", 2026))
    assert days == sorted(days)


def test_another_country_gets_the_package_public_list_in_its_own_language():
    # The package would otherwise name days in the server's locale, not the country's.
    german = dict(holidays.country_holidays("DE", years=2026, language="de"))
    assert closing_days("DE", 2026) == german


def test_an_unknown_country_is_refused():
    with pytest.raises(ValueError, match="'XX'"):
        closing_days("XX", 2026)
    with pytest.raises(ValueError, match="'XX'"):
        holiday_language("XX", "en")
