"""Uploaded files stay in memory: never spooled to a temporary file, whatever their size.

Werkzeug writes a file part larger than 500 KB to a temporary file while it parses a form.
A reporter's evidence sent without JavaScript is plaintext until it is sealed, and a
temporary file can outlive the request on disk (a crash, a full disk, a backup of /tmp).
Every request of this app parses its file parts into memory instead; the route limits
(advisory/body_limits.py) bound how much that can be.
"""

from __future__ import annotations

from io import BytesIO
from typing import IO

from flask import Flask, Request


class InMemoryRequest(Request):
    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return BytesIO()


def keep_uploads_in_memory(app: Flask) -> None:
    app.request_class = InMemoryRequest
