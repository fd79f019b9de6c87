"""A second line beside the first, as the tests of several lines make it."""

from __future__ import annotations

from advisory.line_config import COUNTRY_DEFAULTS
from advisory.models import Line
from advisory.services.line_settings import texts_of

SWEDEN = COUNTRY_DEFAULTS["SE"]


def swedish_texts(first: Line, name: str, **overrides: str) -> dict[str, str]:
    """Settings of a Swedish line: the first line's hours and slots, Sweden's calendar,
    languages and emergency numbers; `overrides` change any field."""
    return {
        **texts_of(first),
        "name": name,
        "timezone": SWEDEN.timezone,
        "holiday_country": "SE",
        "languages": SWEDEN.languages,
        "default_language": SWEDEN.default_language,
        "emergency_numbers": SWEDEN.emergency_numbers,
        **overrides,
    }
