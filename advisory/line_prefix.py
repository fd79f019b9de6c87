"""Each line's own address: `/l/<slug>/…` is the page `/…` of line <slug>.

The prefix moves from the path to the script name before Flask sees the request, so every
address a page builds (links, forms, redirects, scripts' URLs) stays on its line without any
view knowing. Only the reporter's pages (and their files) live under a line; a staff page
asked for there is not found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LINE_PREFIX = re.compile(r"^/l/([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)(/.*)?$")
ENVIRON_KEY = "advisory.line_slug"
BASE_KEY = "advisory.base_script_name"  # the deployment's own prefix, before any line's


class LinePrefix:
    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        match = LINE_PREFIX.match(environ.get("PATH_INFO", ""))
        if match is not None:
            slug, rest = match.group(1), match.group(2) or "/"
            environ[ENVIRON_KEY] = slug
            environ[BASE_KEY] = environ.get("SCRIPT_NAME", "")
            environ["SCRIPT_NAME"] = f"{environ.get('SCRIPT_NAME', '')}/l/{slug}"
            environ["PATH_INFO"] = rest
        return self.app(environ, start_response)


def line_address(environ: WSGIEnvironment, script_root: str, slug: str, path: str) -> str:
    """`path` (an address inside the app, as built for this request) on line `slug`."""
    base = environ.get(BASE_KEY, script_root)
    inside = path[len(script_root) :] if path.startswith(script_root) else path
    return f"{base}/l/{slug}{inside}"
