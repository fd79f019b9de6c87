"""Whole page or answer for a script: which layout `templates/base.html` extends.

Our scripts post forms with fetch() and take only the answer's title and <main> (enhance.js,
`swapMain`), so header, footer and script texts would be rendered and sent for nothing. A
browser marks its requests itself: `Sec-Fetch-Dest` is "empty" for fetch() and "document"
for a page it will show. Without the header (an older browser) the whole page is sent, which
the scripts read just as well.
"""

from __future__ import annotations

from flask import Flask, Response, request

FETCH_DESTINATION = "Sec-Fetch-Dest"


def register_page_layout(app: Flask) -> None:
    app.jinja_env.globals["answer_for_script"] = answer_for_script
    app.after_request(_vary_on_destination)


def answer_for_script() -> bool:
    return request.headers.get(FETCH_DESTINATION) == "empty"


def _vary_on_destination(response: Response) -> Response:
    # The same address answers differently to fetch() and to a navigation.
    if response.mimetype == "text/html":
        response.vary.add(FETCH_DESTINATION)
    return response
