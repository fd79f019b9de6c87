"""Dates, times and weekdays are written in the page's language, on every page that gives one:
an English page never promises an answer before "tirsdag"."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from advisory.models import Line

# Monday 23 November 2026 at 10:00 in Oslo: the answer is due Tuesday 24 at 10:00.
TUESDAY = {"nb": "tirsdag", "nn": "tysdag", "sv": "tisdag", "da": "tirsdag", "en": "Tuesday"}


@pytest.fixture
def every_language(db_session, line_key):
    db_session.execute(update(Line).values(languages="nb, nn, sv, da, en"))
    db_session.commit()


@pytest.mark.parametrize("language", sorted(TUESDAY))
def test_the_report_page_promises_the_answer_in_its_own_language(client, every_language, language):
    with client.session_transaction() as session:
        session["lang"] = language

    page = client.get("/report").get_data(as_text=True)

    assert f'<html lang="{language}"' in page
    [promise] = [line for line in page.splitlines() if "24" in line and "10:00" in line]
    assert TUESDAY[language] in promise
    other_words = set(TUESDAY.values()) - {TUESDAY[language]}
    assert not any(word in promise for word in other_words)
