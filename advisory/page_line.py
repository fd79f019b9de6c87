"""The line a page belongs to, read once per request.

Today every page belongs to the deployment's first line; addresses per line (`/l/<slug>/`)
will choose another.
"""

from __future__ import annotations

from flask import g
from sqlalchemy.exc import SQLAlchemyError

from advisory.context import db_session
from advisory.line_config import LineConfig
from advisory.services.line_keys import default_line
from advisory.services.line_settings import config_of

_KEY = "advisory_page_line"


def page_line() -> LineConfig | None:
    """The settings of this page's line; None before `flask init` made one, or while the
    database cannot answer (a page that says so must still show)."""
    if _KEY not in g:
        session = db_session()
        try:
            line = default_line(session)
        except SQLAlchemyError:
            session.rollback()
            line = None
        setattr(g, _KEY, None if line is None else config_of(line))
    found: LineConfig | None = g.get(_KEY)
    return found
