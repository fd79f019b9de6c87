"""Languages: Norwegian bokmål by default, English on request; every text goes through Babel."""

from __future__ import annotations

import functools
from typing import Any

from babel.dates import get_day_names
from babel.support import NullTranslations, Translations
from flask import Flask, g, session
from flask_babel import format_datetime, get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup
from wtforms.i18n import messages_path

from advisory.context import current_settings
from advisory.extensions import babel
from advisory.settings import PROJECT_ROOT, SUPPORTED_LOCALES, Settings

TRANSLATIONS_DIR = PROJECT_ROOT / "advisory" / "translations"
LANGUAGE_NAMES = {"nb": "Norsk", "en": "English"}
SESSION_KEY = "lang"


def register_i18n(app: Flask, settings: Settings) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = settings.default_locale
    app.config["BABEL_DEFAULT_TIMEZONE"] = settings.calendar.timezone
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    babel.init_app(app, locale_selector=_select_locale)
    # Flask-Babel's template callables find the catalogue anew for every text (a dozen context
    # look-ups each); a page has dozens of texts. These find it once per request.
    environment: Any = app.jinja_env  # the i18n extension adds install_gettext_callables
    environment.install_gettext_callables(
        gettext=_translated,
        ngettext=lambda s, p, n: request_catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_catalogue().unpgettext(c, s, p, n),
    )
    # `_()` and `gettext()`, the texts of every page, in one call each instead of three; and
    # bound to the catalogue once per page (macros imported without context use the global).
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
    app.context_processor(_page_texts)
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["weekday_name"] = weekday_name
    app.jinja_env.globals["format_datetime"] = format_datetime


def request_catalogue() -> NullTranslations:
    """The catalogue of the current language, found once per request (or app context).

    It is kept in the slot Flask-Babel reserves for it on its per-context state
    (`babel_translations`), which `flask_babel.force_locale` and `refresh` clear and restore,
    so a change of language inside a request is still followed.
    """
    if not g:  # no app context: Flask-Babel answers with the untranslated texts
        return get_translations()
    state = g.get("_flask_babel")
    catalogue = getattr(state, "babel_translations", None)
    if catalogue is None:
        catalogue = get_translations()  # creates the state if this is the first look-up
        state = g.get("_flask_babel")
        if state is not None:
            state.babel_translations = catalogue
    return catalogue


def lazy_text(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's `lazy_gettext` (import it as `_l`, the extraction keyword), translated
    from the request's catalogue found once per request: a form page turns some eighty labels
    and messages into text, and Flask-Babel looks the catalogue up anew for each."""
    return LazyString(_translated, string, **variables)


def _translated(string: str, **variables: Any) -> str:
    text = request_catalogue().ugettext(string)
    return text % variables if variables else text


@pass_context
def template_gettext(context: Context, string: str, /, **variables: Any) -> str:
    """Jinja's newstyle gettext without its wrappers: translated, marked safe for autoescape
    (the catalogue is ours), and always %-formatted, so `%%` is a literal percent sign."""
    return _newstyle(context, request_catalogue().ugettext(string), variables)


def _page_texts() -> dict[str, Any]:
    """`_` and `gettext` for one page, bound to the catalogue of the language it is shown in."""
    translate = request_catalogue().ugettext

    @pass_context
    def page_gettext(context: Context, string: str, /, **variables: Any) -> str:
        return _newstyle(context, translate(string), variables)

    return {"_": page_gettext, "gettext": page_gettext}


def _newstyle(context: Context, text: str, variables: dict[str, Any]) -> str:
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (our own catalogue, as Jinja's gettext does)
    return text % variables


def current_language() -> str:
    chosen = session.get(SESSION_KEY)
    return chosen if chosen in SUPPORTED_LOCALES else current_settings().default_locale


def _select_locale() -> str:
    return current_language()


def weekday_name(weekday: int) -> str:
    """Monday is 0, as in `datetime.weekday()`; capitalised for table headings."""
    return str(get_day_names("wide", locale=get_locale())[weekday]).capitalize()


def wtforms_catalogue() -> NullTranslations:
    """WTForms' own messages ("Not a valid choice.", ...) in the current language.

    Flask-WTF reads WTForms' catalogue from disk on every request that builds a form; this
    reads each language once per process. Return it from a form's `Meta.get_translations`
    (WTForms asks once per form).
    """
    return _wtforms_catalogue(str(get_locale()))


@functools.cache
def _wtforms_catalogue(locale: str) -> NullTranslations:
    return Translations.load(messages_path(), [locale], domain="wtforms")
