"""The "too large" answer (413): read the rest of the body, then a page that says what to do.

Werkzeug refuses a body over its route's limit (advisory/body_limits.py) before reading it.
The rest of it is read and thrown away first (`read_refused_body`), so the page reaches a
browser that is still sending instead of a reset connection. This is the plain page, in the
visitor's language with a way back; a blueprint whose forms can come back filled in
registers a handler of its own (advisory/reporter/too_large.py) that uses the same pieces.
"""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from advisory.body_limits import KIB, SMALL_FORM, read_refused_body


def answer_too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    limit = refused_limit()
    read_refused_body(request, frozenset(), budget=limit)
    return plain_page(limit), 413


def refused_limit() -> int:
    return request.max_content_length or SMALL_FORM


def larger_than(limit: int) -> str:
    return _(
        "What you sent is larger than we can take in one go (%(size)s KB). Nothing was stored.",
        size=limit // KIB,
    )


def plain_page(limit: int) -> str:
    reporter = (request.endpoint or "").startswith("reporter.")
    advice = (
        _(
            "Go back in your browser: your text should still be there. Shorten it, or send the "
            "rest in a message from the secure inbox afterwards."
        )
        if reporter
        else _(
            "Go back in your browser: what you typed should still be there. Shorten it and "
            "send it again."
        )
    )
    return render_template(
        "errors/too_large.html",
        problems=[larger_than(limit)],
        advice=advice,
        back=page_above(request.path),
    )


def page_above(path: str) -> str:
    """The nearest page at or above `path` that can be opened (the case page above a case
    action, the inbox above its forms), else the start page."""
    adapter = current_app.create_url_adapter(request)
    parts = path.rstrip("/").split("/")
    while len(parts) > 1 and adapter is not None:
        candidate = "/".join(parts)
        try:
            adapter.match(candidate, method="GET")
        except HTTPException:
            parts.pop()
            continue
        return candidate
    return "/"
