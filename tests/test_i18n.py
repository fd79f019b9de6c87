"""Translations looked up once per request, and still following every change of language."""

from __future__ import annotations

import pytest
from flask import render_template_string, session
from flask_babel import force_locale, refresh

import advisory.i18n
from advisory.i18n import SESSION_KEY, lazy_text
from tests.reporter_helpers import get_report, page_of, report_data, set_up_line_key

TEXTS = '{{ _("Quick exit") }} | {{ _("Skip to content") }} | {{ _("Advisory Line") }}'


@pytest.fixture
def looked_up(monkeypatch) -> list[object]:
    """One entry each time the i18n module looks a catalogue up."""
    calls: list[object] = []
    real = advisory.i18n.get_translations

    def counting() -> object:
        calls.append(None)
        return real()

    monkeypatch.setattr(advisory.i18n, "get_translations", counting)
    return calls


def test_templates_find_the_catalogue_once_per_request(bare_app, looked_up):
    with bare_app.test_request_context("/"):
        page = render_template_string(TEXTS + TEXTS)

    assert page.startswith("Rask utgang | ")  # Norwegian bokmål by default
    assert len(looked_up) == 1


def test_a_language_forced_inside_a_request_is_followed_and_undone(bare_app):
    with bare_app.test_request_context("/"):
        before = render_template_string(TEXTS)
        with force_locale("en"):
            forced = render_template_string(TEXTS)
        after = render_template_string(TEXTS)

    assert before.startswith("Rask utgang | ")
    assert forced == "Quick exit | Skip to content | Advisory Line"
    assert after == before


def test_a_language_chosen_and_refreshed_inside_a_request_is_followed(bare_app):
    with bare_app.test_request_context("/"):
        before = render_template_string(TEXTS)
        session[SESSION_KEY] = "en"
        refresh()
        after = render_template_string(TEXTS)

    assert before.startswith("Rask utgang")
    assert after.startswith("Quick exit")


def test_texts_are_formatted_newstyle_and_their_values_escaped(bare_app):
    with bare_app.test_request_context("/"):
        counted = render_template_string(
            '{{ _("A case code has 20 characters; this one has %(count)d.", count=7) }}'
        )
        percent = render_template_string('{{ _("100%% sure") }}')
        escaped = render_template_string('{{ _("Hello %(name)s", name="<b>") }}')
        plain = render_template_string("{{ gettext('Quick exit') }}")

    assert "7" in counted
    assert "%(count)" not in counted
    assert counted != "A case code has 20 characters; this one has 7."  # translated (nb)
    assert percent == "100% sure"
    assert escaped == "Hello &lt;b&gt;"
    assert plain == "Rask utgang"


def test_form_labels_are_translated_when_shown_from_the_catalogue_found_once(bare_app, looked_up):
    label = lazy_text("Quick exit")
    limit = lazy_text("Please keep it under %(max)d characters.", max=20000)
    with bare_app.test_request_context("/"):
        shown = [str(label), str(label), str(limit)]
        with force_locale("en"):
            forced = str(label)

    assert shown[:2] == ["Rask utgang", "Rask utgang"]
    assert "20000" in shown[2]
    assert "characters" not in shown[2]  # translated (nb)
    assert forced == "Quick exit"
    assert len(looked_up) == 2  # once for the request, once for the forced language


@pytest.mark.parametrize(
    ("language", "message"), [(None, "Ikke et gyldig valg"), ("en", "Not a valid choice")]
)
def test_wtforms_own_messages_come_in_the_page_language(client, db_session, language, message):
    set_up_line_key(db_session)
    if language:
        token = get_report(client).input_value("csrf_token")
        client.post("/language", data={"csrf_token": token, "language": language, "next": "/"})

    response = client.post("/report", data=report_data(get_report(client), kind="no-such-kind"))

    assert response.status_code == 400
    summary = page_of(response).by_id("error-summary")
    assert any(message in item.text for item in summary.find_all("li"))
