"""Staff choose the language of their own pages; it is kept on their account, for every browser,
and "the line's language" goes back to the line's."""

from __future__ import annotations

import re

import pytest

from advisory.models import Role, Staff
from advisory.services.line_settings import add_line, texts_of
from tests.conftest import DEFAULT_NOW, unusable_staff
from tests.test_queue import sign_in_as

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def me(make_staff, line_key):
    return make_staff(
        Role.LAWYER, line_id=line_key.line.id, must_change_password=False, totp_confirmed=True
    )


def choose(client, language: str):
    token = TOKEN.search(client.get("/staff").get_data(as_text=True)).group(1)
    return client.post("/staff/language", data={"csrf_token": token, "language": language})


def html_lang(response) -> str:
    return re.search(r'<html lang="([a-z]+)"', response.get_data(as_text=True)).group(1)


@pytest.mark.parametrize(
    ("language", "queue_heading"), [("sv", "Kö"), ("da", "Kø"), ("nn", "Kø"), ("en", "Queue")]
)
def test_a_chosen_language_is_kept_on_the_account_for_every_browser(
    app, client, db_session, me, language, queue_heading
):
    sign_in_as(client, db_session, me)

    response = choose(client, language)

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff#language"
    # A browser that never chose anything, signed in as them, reads their language
    elsewhere = app.test_client()
    sign_in_as(elsewhere, db_session, me)
    queue = elsewhere.get("/queue")
    assert html_lang(queue) == language
    assert queue_heading in queue.get_data(as_text=True)


def test_the_lines_language_is_chosen_back(client, db_session, me):
    sign_in_as(client, db_session, me)
    choose(client, "sv")

    choose(client, "")

    db_session.expire_all()
    assert db_session.get(Staff, me.id).language is None
    assert html_lang(client.get("/staff")) == "nb"  # the line's default


@pytest.mark.parametrize("language", ["fi", "xx", "nb" * 40, "\x00"])
def test_another_language_is_refused_and_nothing_changes(client, db_session, me, language):
    sign_in_as(client, db_session, me)

    response = choose(client, language)

    assert response.status_code == 400
    assert "Velg et av språkene i listen." in response.get_data(as_text=True)  # bokmål, the line's
    db_session.expire_all()
    assert db_session.get(Staff, me.id).language is None


def test_signed_in_staff_choose_on_their_page_not_in_the_header(client, db_session, me):
    sign_in_as(client, db_session, me)

    page = client.get("/queue").get_data(as_text=True)

    assert 'name="language"' not in page
    assert 'name="language"' in client.get("/staff").get_data(as_text=True)


def test_a_lawyer_of_a_swedish_line_reads_swedish_until_choosing(client, db_session, line_key):
    texts = {
        **texts_of(line_key.line),
        "name": "Musik",
        "languages": "sv, en",
        "default_language": "sv",
    }
    swedish = add_line(db_session, slug="musikk", texts=texts, now=DEFAULT_NOW)
    lawyer = unusable_staff(
        Role.LAWYER,
        username="sara",
        line_id=swedish.id,
        must_change_password=False,
        totp_confirmed=True,
    )
    db_session.add(lawyer)
    sign_in_as(client, db_session, lawyer)

    assert html_lang(client.get("/queue")) == "sv"
    choose(client, "en")
    assert html_lang(client.get("/queue")) == "en"
