"""Translations looked up once per request, and still following every change of language."""

from __future__ import annotations

import pytest
from flask import render_template_string, session
from flask_babel import force_locale, get_translations, refresh
from jinja2 import Environment

import advisory.i18n
from advisory.i18n import SESSION_KEY, lazy_text, template_gettext
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


CODE_LENGTH = "A case code has 20 characters; this one has %(count)s."
NEWSTYLE_TEXTS = [
    ('{{ _("Quick exit") }}', "Rask utgang"),
    ("{{ gettext('Quick exit') }}", "Rask utgang"),
    (f'{{{{ _("{CODE_LENGTH}", count="<b>") }}}}', "En sakskode har 20 tegn; denne har &lt;b&gt;."),
    ('{{ _("100%% sure") }}', "100% sure"),
    ("{% trans %}Skip to content{% endtrans %}", "Hopp til innholdet"),
    (
        '{% trans count="<b>" %}A case code has 20 characters; this one has {{ count }}.'
        "{% endtrans %}",
        "En sakskode har 20 tegn; denne har &lt;b&gt;.",
    ),
]


@pytest.mark.parametrize(("source", "shown"), NEWSTYLE_TEXTS)
def test_texts_read_as_jinjas_own_newstyle_gettext_shows_them(bare_app, source, shown):
    """Ours stand in for Jinja's newstyle wrapper (escaping, `%` formatting): compared with it."""
    with bare_app.test_request_context("/"):
        jinja = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
        jinja.install_gettext_translations(get_translations(), newstyle=True)  # type: ignore[attr-defined]
        by_jinja = jinja.from_string(source).render()
        on_a_page = render_template_string(source)
        in_a_macro = bare_app.jinja_env.from_string(source).render()  # the globals only

    assert on_a_page == in_a_macro == by_jinja == shown


def test_flask_babel_leaves_the_templates_to_us(bare_app):
    """Flask-Babel's own Jinja set-up is off, so nothing of it is installed and then replaced."""
    assert bare_app.jinja_env.globals["_"] is template_gettext
    assert bare_app.jinja_env.globals["gettext"] is template_gettext
    assert "datetimeformat" not in bare_app.jinja_env.filters  # one of Flask-Babel's filters


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
