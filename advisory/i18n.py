"""Languages: Norwegian bokmål by default, English on request; every text goes through Babel."""

from __future__ import annotations

from babel.dates import get_day_names
from flask import Flask, session
from flask_babel import format_datetime, get_locale

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
    app.jinja_env.globals["language_names"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["weekday_name"] = weekday_name
    app.jinja_env.globals["format_datetime"] = format_datetime


def current_language() -> str:
    chosen = session.get(SESSION_KEY)
    return chosen if chosen in SUPPORTED_LOCALES else current_settings().default_locale


def _select_locale() -> str:
    return current_language()


def weekday_name(weekday: int) -> str:
    """Monday is 0, as in `datetime.weekday()`; capitalised for table headings."""
    return str(get_day_names("wide", locale=get_locale())[weekday]).capitalize()
