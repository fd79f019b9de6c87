"""The line a page belongs to, read once per request.

A page under `/l/<slug>/` belongs to that line (advisory/line_prefix.py); a bare address
belongs to the deployment's first line, so a single-line deployment keeps its addresses. An
unknown slug is not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, abort, g, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from advisory.context import db_session
from advisory.line_config import LineConfig
from advisory.line_prefix import ENVIRON_KEY, LinePrefix, line_address
from advisory.models import Line
from advisory.services.line_settings import all_lines, config_of, default_line, line_by_slug

_KEY = "advisory_page_line"


@dataclass(frozen=True)
class PageLine:
    id: int
    slug: str
    config: LineConfig


def page_line() -> PageLine | None:
    """This page's line; None before `flask init` made one, for a slug that names no line
    (the request hook answers 404), or while the database cannot answer (a page that says so
    must still show)."""
    if _KEY not in g:
        setattr(g, _KEY, None)  # the 404 page of an unknown line is shown without one
        setattr(g, _KEY, _read())
    found: PageLine | None = g.get(_KEY)
    return found


def register_line_prefix(app: Flask) -> None:
    """Serve every reporter page under `/l/<slug>/` too; nothing else lives there."""
    app.wsgi_app = LinePrefix(app.wsgi_app)  # type: ignore[method-assign]
    app.before_request(_only_reporter_pages_under_a_line)
    app.jinja_env.globals["line_key_url"] = line_key_url
    app.jinja_env.globals["line_home"] = line_home


def line_home(slug: str) -> str:
    """The home page of line `slug`."""
    return line_address(request.environ, request.script_root, slug, url_for("reporter.landing"))


def line_key_url(slug: str | None = None) -> str:
    """Where a page's scripts fetch the public key to seal to: line `slug`'s (a case's own
    line), else the page's line's."""
    own = url_for("reporter.line_key")
    if slug is None:
        return own
    return line_address(request.environ, request.script_root, slug, own)


def _only_reporter_pages_under_a_line() -> None:
    if page_line_slug() is None:
        return
    if request.blueprint != "reporter" and request.endpoint != "static":
        abort(404)
    if page_line() is None:  # an unknown line is not found before any view runs
        abort(404)


def every_line() -> list[Line]:
    """The deployment's lines, for the home page that lists them; none while the database
    cannot answer."""
    session = db_session()
    try:
        return all_lines(session)
    except SQLAlchemyError:
        session.rollback()
        return []


def page_line_slug() -> str | None:
    """The slug in the address, if the page was asked for under `/l/<slug>/`."""
    slug = request.environ.get(ENVIRON_KEY)
    return slug if isinstance(slug, str) else None


def _read() -> PageLine | None:
    slug = page_line_slug()
    session = db_session()
    try:
        line = default_line(session) if slug is None else line_by_slug(session, slug)
    except SQLAlchemyError:
        session.rollback()
        line = None
    if line is None:
        return None  # an unknown slug: the request hook answers 404
    return PageLine(line.id, line.slug, config_of(line))
