"""The case code as a small text file: what it says, and the answer that downloads it.

The receipt's download button uses the same words in the browser (data-file-text), so the
file reads the same with JavaScript or without.
"""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _

FILE_NAME = "case-code.txt"
CODE_PLACEHOLDER = "{code}"


def code_file_text(code: str, inbox_url: str) -> str:
    """The file's text; `code` may be CODE_PLACEHOLDER, for the browser to fill in."""
    lines = [
        _("Advisory Line"),
        "",
        _("Your case code: %(code)s", code=code),
        "",
        _("Open your case with it at %(url)s", url=inbox_url),
        _("Anyone who has this code can read your case. Keep it where only you can reach it."),
    ]
    return "\r\n".join(lines) + "\r\n"


def code_file_response(code: str, inbox_url: str) -> Response:
    response = Response(code_file_text(code, inbox_url), mimetype="text/plain")
    response.headers["Content-Disposition"] = f'attachment; filename="{FILE_NAME}"'
    return response
