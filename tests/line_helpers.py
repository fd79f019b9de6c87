"""A second line beside the first, as the tests of several lines make it."""

from __future__ import annotations

from advisory.line_config import COUNTRY_DEFAULTS
from advisory.models import Line, Role
from advisory.services.line_keys import NewLineKey, start_line_key
from advisory.services.line_settings import add_line, texts_of
from advisory.services.notifications import NotificationKind, notify
from tests.conftest import DEFAULT_NOW, TEST_SECRETS, new_case

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


def music_line_with_a_case(db_session, first: Line, reference: str) -> NewLineKey:
    """A second line, `musikk`, with its own key, one case (`reference`) and a note about it
    for its lawyers; flushed, not committed."""
    line = add_line(
        db_session,
        slug="musikk",
        texts={**texts_of(first), "name": "Musikk"},
        now=DEFAULT_NOW,
    )
    data_key = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
    key = start_line_key(db_session, line, now=DEFAULT_NOW, iterations=1000, data_key=data_key)
    db_session.add(new_case(line.id, reference=reference))
    db_session.flush()
    notify(
        db_session,
        kind=NotificationKind.NEW_CASE,
        dedupe_key=f"new-case:{reference}",
        now=DEFAULT_NOW,
        role=Role.LAWYER,
        case_reference=reference,
    )
    return key
