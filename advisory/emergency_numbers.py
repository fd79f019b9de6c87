"""The emergency numbers of a page's line, as one sentence part in the page's language."""

from __future__ import annotations

from babel.lists import format_list
from flask import Flask
from flask_babel import get_locale

from advisory.i18n import lazy_text as _l
from advisory.page_line import page_line

SERVICE_NAMES = {
    "emergency": _l("every emergency"),
    "police": _l("police"),
    "ambulance": _l("ambulance"),
    "fire": _l("fire"),
    "medical_advice": _l("medical advice"),
    "police_tips": _l("police, not urgent"),
}


def register_emergency_numbers(app: Flask) -> None:
    app.jinja_env.globals["emergency_numbers"] = emergency_numbers
    app.jinja_env.globals["emergency_list"] = emergency_list


def emergency_list() -> list[tuple[str, str]]:
    """Each number of the page's line with what it is for, as a list shows them."""
    line = page_line()
    if line is None:
        return [("112", str(SERVICE_NAMES["emergency"]).capitalize())]
    return [
        (entry.number, str(SERVICE_NAMES[entry.service]).capitalize())
        for entry in line.config.emergency_numbers
    ]


def emergency_numbers() -> str:
    """For example "112 (police), 113 (ambulance) or 110 (fire)"; 112 alone before a line
    exists."""
    line = page_line()
    if line is None or not line.config.emergency_numbers:
        return "112"
    entries = [
        str(
            _l(
                "%(number)s (%(service)s)",
                number=entry.number,
                service=SERVICE_NAMES[entry.service],
            )
        )
        for entry in line.config.emergency_numbers
    ]
    return format_list(entries, style="or", locale=get_locale())
