"""Languages: Norwegian bokmål by default, English on request; every text goes through Babel."""

from __future__ import annotations

import functools
from typing import Any

from babel import Locale
from babel.dates import get_day_names
from babel.support import NullTranslations, Translations
from flask import Flask, g, session
from flask_babel import format_datetime, get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup
from wtforms.i18n import messages_path

from advisory.context import current_settings, db_session
from advisory.extensions import babel
from advisory.models import Role
from advisory.page_line import page_line
from advisory.services.line_settings import figures_calendar, line_config
from advisory.services.staff_lines import given_lines
from advisory.settings import PROJECT_ROOT, SUPPORTED_LOCALES, Settings

TRANSLATIONS_DIR = PROJECT_ROOT / "advisory" / "translations"
# Each language in its own words, as a reader of it looks for it.
LANGUAGE_NAMES = {
    "nb": "Bokmål",
    "nn": "Nynorsk",
    "sv": "Svenska",
    "da": "Dansk",
    "en": "English",
}
SESSION_KEY = "lang"
_CATALOGUE_KEY = "advisory_catalogue"  # on `g`: (locale, its catalogue)


# Flask-Babel's Jinja set-up is off (its documented `configure_jinja=False`): the templates'
# texts are installed below, through Jinja's own i18n extension, with callables that find the
# catalogue once per request instead of anew for every text.


def register_i18n(app: Flask, settings: Settings) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = settings.default_locale
    app.config["BABEL_DEFAULT_TIMEZONE"] = settings.calendar.timezone
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS_DIR)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    _install_template_texts(app)
    app.jinja_env.globals["language_choices"] = language_choices
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["weekday_name"] = weekday_name
    app.jinja_env.globals["format_datetime"] = format_datetime


def _install_template_texts(app: Flask) -> None:
    """Jinja's i18n extension, newstyle (`%(name)s` variables), fed from `request_catalogue`."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    environment: Any = app.jinja_env  # the extension adds install_gettext_callables
    environment.install_gettext_callables(
        gettext=_translated,
        ngettext=lambda s, p, n: request_catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_catalogue().unpgettext(c, s, p, n),
    )
    # `_()` and `gettext()`, the texts of every page, in one call each instead of the three of
    # Jinja's wrapper; Jinja takes them from the globals or from the page's own context. Each
    # page gets them bound to its catalogue; macros imported without context use the globals.
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
    app.context_processor(_page_texts)


def request_catalogue() -> NullTranslations:
    """The catalogue of the current language, found once per language and request.

    Kept on `g` beside the locale it was found for: a language forced
    (`flask_babel.force_locale`) or chosen anew (`flask_babel.refresh`) inside a request is
    another locale, and so the catalogue is found again.
    """
    locale = get_locale()
    if locale is None:  # no app context: Flask-Babel answers with the untranslated texts
        return get_translations()
    found: tuple[Locale, NullTranslations] | None = g.get(_CATALOGUE_KEY)
    if found is not None and found[0] is locale:
        return found[1]
    catalogue = get_translations()
    setattr(g, _CATALOGUE_KEY, (locale, catalogue))
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
    """A signed-in staff member's own language; else the one chosen in this browser if the
    page's line offers it, else the line's own."""
    staff = g.get("staff")
    if staff is not None and staff.language in SUPPORTED_LOCALES:
        return str(staff.language)
    chosen = session.get(SESSION_KEY)
    return chosen if chosen in offered_languages() else default_language()


def offered_languages() -> tuple[str, ...]:
    """The page's line's languages; every language for signed-in staff."""
    line = page_line()
    if g.get("staff") is not None or line is None:
        return SUPPORTED_LOCALES
    return line.config.languages


def default_language() -> str:
    """A lawyer's line's language on their pages, else the page's line's."""
    staff = g.get("staff")
    if staff is not None and staff.line_id is not None:
        return line_config(db_session(), staff.line_id).default_language
    line = page_line()
    return current_settings().default_locale if line is None else line.config.default_language


def language_choices() -> list[tuple[str, str]]:
    """The other languages of the page's line, each named in itself, for the header."""
    shown = current_language()
    return [(code, LANGUAGE_NAMES[code]) for code in offered_languages() if code != shown]


def _select_locale() -> str:
    return current_language()


def _select_timezone() -> str:
    """Times on a page are in its line's zone: a lawyer's own line's; a coordinator's, the
    zone their figures are counted in (their first given line's, as the dashboard's days);
    else the page's line's."""
    staff = g.get("staff")
    if staff is not None and staff.line_id is not None:
        return line_config(db_session(), staff.line_id).calendar.timezone
    if staff is not None and staff.role is Role.COORDINATOR:
        return figures_calendar(db_session(), given_lines(db_session(), staff)).timezone
    line = page_line()
    return current_settings().calendar.timezone if line is None else line.config.calendar.timezone


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
