"""The days our offices close in each country, named for the page (pure: no Flask, no clock).

We start from the `holidays` package (written against 0.108) and correct it where offices close
on a day the package does not call a public holiday, or where it lists plain Sundays:

- NO: public holidays are set by law (lov om helligdager og helligdagsfred 1995, lov om 1. og
  17. mai som høgtidsdager 1947). Christmas Eve and New Year's Eve are not among them, and the
  package lacks them altogether, but offices close by custom and collective agreement; we add them
  with our own names. The package can list every Sunday as a holiday (`include_sundays`); we
  never ask for that.
- SE: Midsummer Eve, Christmas Eve and New Year's Eve are no public holidays (lag 1989:253 om
  allmänna helgdagar), but the semesterlag (1977:480) 3 a § treats them like Sundays and offices
  close; the package files them as DE_FACTO, which we take. We never take its `include_sundays`
  (every Sunday is an allmän helgdag in law, but a line that opens on Sundays must stay open).
- DK: Christmas Eve and New Year's Eve are no helligdage, and the package files them as OPTIONAL,
  but nearly every office closes by custom or agreement; we take those two days from OPTIONAL.
  The rest of OPTIONAL stays open: on 1 May and Constitution Day (5 June) the state works and
  other employers differ (closed all day, from noon, or not at all). Store Bededag was abolished
  from 2024 (lov nr. 214 of 6 March 2023); the package knows that.
- FI: the package's PUBLIC list already holds Midsummer Eve and Christmas Eve, which are no
  church holidays but on which offices and shops close; New Year's Eve is a working day. We take
  PUBLIC as it is.
- IS: the law on the 40-hour week (88/1971, 6. gr.) makes Christmas Eve and New Year's Eve days
  off from 13:00, collective agreements from 12:00, and many employers give the whole day. The
  package files them as HALF_DAY. A line open 09:00-16:00 would keep three or four hours, too
  little for a reporter to count on, so we close all day and name the days ourselves, without
  the package's "(from 1pm)".
- Any other country: the package's PUBLIC list, without Sundays.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

import holidays
from holidays.constants import DE_FACTO, OPTIONAL, PUBLIC

NORDIC_COUNTRIES = ("NO", "SE", "DK", "FI", "IS")

MonthDay = tuple[int, int]
CHRISTMAS_EVE: MonthDay = (12, 24)
NEW_YEARS_EVE: MonthDay = (12, 31)


@dataclass(frozen=True)
class _Closings:
    """How a country's closing days differ from the package's PUBLIC list."""

    categories: tuple[str, ...] = (PUBLIC,)
    # Single days from a further category, under the package's names (which it translates).
    picked: Mapping[str, tuple[MonthDay, ...]] = field(default_factory=dict)
    # Days the package lacks or names wrongly for a closed day: our names per language code.
    # Languages left out get the name in the country's own language.
    added: Mapping[MonthDay, Mapping[str, str]] = field(default_factory=dict)


_RULES: Mapping[str, _Closings] = MappingProxyType(
    {
        "NO": _Closings(
            added={
                CHRISTMAS_EVE: {"no": "Julaften", "en_US": "Christmas Eve"},
                NEW_YEARS_EVE: {"no": "Nyttårsaften", "en_US": "New Year's Eve"},
            }
        ),
        "SE": _Closings(categories=(PUBLIC, DE_FACTO)),
        "DK": _Closings(picked={OPTIONAL: (CHRISTMAS_EVE, NEW_YEARS_EVE)}),
        "FI": _Closings(),
        "IS": _Closings(
            added={
                CHRISTMAS_EVE: {"is": "Aðfangadagur", "en_US": "Christmas Eve"},
                NEW_YEARS_EVE: {"is": "Gamlársdagur", "en_US": "New Year's Eve"},
            }
        ),
    }
)

# Package language codes that read right on a page in one of our locales, when the plain
# locale is not one: the package's Norwegian ("no") is bokmål, which nynorsk readers read too.
_CLOSE_LANGUAGES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"nb": ("no",), "nn": ("no",), "en": ("en_US",)}
)


@functools.cache
def closing_days(country: str, year: int, language: str | None = None) -> Mapping[date, str]:
    """Every date of `year` on which offices in `country` close, by holiday or custom.

    Names are in `language` (a `holidays` code such as "no" or "en_US"; None: the country's own
    language). Plain Saturdays and Sundays are not listed: the weekly hours close those.
    """
    package_class = _package_class(country)
    own_language = package_class.default_language
    if language is None:
        language = own_language
    elif language not in package_class.supported_languages:
        choices = ", ".join(package_class.supported_languages)
        raise ValueError(f"holidays names {country} holidays in {choices}, not {language!r}")
    rules = _RULES.get(country, _Closings())
    days = _package_days(package_class, year, rules.categories, language)
    for category, month_days in rules.picked.items():
        category_days = _package_days(package_class, year, (category,), language)
        for month, day in month_days:
            picked = date(year, month, day)
            # Fail loudly rather than open the line on a day it has always closed.
            if picked not in category_days:
                raise LookupError(f"holidays no longer lists {country} {picked} as {category}")
            days.setdefault(picked, category_days[picked])
    for (month, day), names in rules.added.items():
        days.setdefault(date(year, month, day), _our_name(names, language, own_language))
    return MappingProxyType(dict(sorted(days.items())))


def holiday_language(country: str, locale: str) -> str | None:
    """The `holidays` language to name `country`'s holidays in on a page in `locale`.

    None when the package has nothing close to the page's language: the country's own names
    then read better than a guess.
    """
    supported = _package_class(country).supported_languages
    page_language = locale.replace("-", "_").split("_")[0].lower()
    candidates = (
        locale.replace("-", "_"),
        *_CLOSE_LANGUAGES.get(page_language, ()),
        # A regional variant of the page's language, such as Finland's "sv_FI" for "sv".
        *sorted(code for code in supported if code.split("_")[0] == page_language),
    )
    return next((code for code in candidates if code in supported), None)


def supported_country(country: str) -> bool:
    """Whether `holidays` knows `country` (an ISO 3166 code such as "NO")."""
    return country in holidays.list_supported_countries()


def _package_class(country: str) -> type[holidays.HolidayBase]:
    if not supported_country(country):
        raise ValueError(f"holiday country {country!r} is not supported")
    return type(holidays.country_holidays(country))


def _package_days(
    package_class: type[holidays.HolidayBase],
    year: int,
    categories: tuple[str, ...],
    language: str | None,
) -> dict[date, str]:
    # Countries that can list every Sunday as a holiday (NO, SE) take `include_sundays`; its
    # default has changed between releases, so we always say no.
    options: dict[str, Any] = {}
    if "include_sundays" in inspect.signature(package_class).parameters:
        options["include_sundays"] = False
    return dict(package_class(years=year, categories=categories, language=language, **options))


def _our_name(names: Mapping[str, str], language: str | None, own_language: str | None) -> str:
    """Our name for a day the package lacks: in `language`, else in the country's own."""
    for code in (language, own_language):
        if code is not None and code in names:
            return names[code]
    raise LookupError(f"no name in {language!r} or {own_language!r} among {sorted(names)}")
