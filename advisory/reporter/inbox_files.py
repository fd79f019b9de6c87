"""A lawyer's files in the reporter's inbox: listed under their reply, fetched with the code.

Each file was sealed in the lawyer's browser: its bytes as a stream under a content key of
its own, and its header (that key, the name, type and true size) to the reporter's key, which
only the case code gives. The inbox lists a reply's files by number and padded size, all the
server knows ("File 1, about 12 KB").

- With JavaScript the browser opens each header with the key it derived from the code,
  fetches the file's sealed stream (`POST /follow-up/file` with the lookup token) and opens
  it (static/js/inbox-files.js): the server hands out only sealed bytes.
- Without it, the download button posts the code itself, as every inbox form does then; the
  server opens the header and the stream with the key the code gives and answers with the
  file as a download. The plaintext exists in this response's memory only: it is neither
  stored nor logged, and the code is forgotten with the request. The inbox page itself
  names the files the same way, opened for that page only.

A fetch names its case by the code like any inbox post (follow_up.py): one that opens no
case counts against the lookup limit. A file of another case, or one a reporter sent, is
never handed out here.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from flask import Response, send_file
from sqlalchemy.orm import Session
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from advisory.context import db_session
from advisory.models import Attachment, Case
from advisory.redacted import Redacted
from advisory.reporter.credentials import Credential
from advisory.reporter.forms import CaseCodeForm
from advisory.sealed_files import approximate_size, sealed_download
from advisory.services.reply_files import (
    open_reply_file,
    reply_file,
    reply_files,
    reply_header,
)
from advisory.url_converters import row_id


class ReplyFileForm(CaseCodeForm):
    """The download button of a reply's file: the case code (or its token) and the file."""

    file = HiddenField(validators=[DataRequired(), Length(max=12)])

    def file_id(self) -> int | None:
        return row_id(self.file.data or "")


@dataclass(frozen=True, repr=False)
class ListedFile(Redacted):
    """A reply's file as the inbox lists it."""

    number: int  # 1, 2, … within its reply
    id: int
    header: str  # sealed to the reporter's key: their browser opens it
    padded_bytes: int
    approximate_size: str  # the padded size, in words: all the server knows of its size
    name: str | None  # opened with the code posted without JavaScript, for this page only


def listed_reply_files(case: Case, code: str | None) -> dict[int, list[ListedFile]]:
    """The case's reply files by reply (message id). Given the code (a post without
    JavaScript), each name is opened for the page being made, and kept nowhere."""
    listed: dict[int, list[ListedFile]] = {}
    for message_id, files in reply_files(db_session(), case).items():
        listed[message_id] = [
            _listed(case, number, attachment, code)
            for number, attachment in enumerate(files, start=1)
        ]
    return listed


def _listed(case: Case, number: int, attachment: Attachment, code: str | None) -> ListedFile:
    header = reply_header(case, attachment, code) if code else None
    return ListedFile(
        number=number,
        id=attachment.id,
        header=attachment.header_envelope or "",
        padded_bytes=attachment.padded_bytes,
        approximate_size=approximate_size(attachment.padded_bytes),
        name=header.name if header is not None else None,
    )


def file_answer(form: ReplyFileForm, case: Case, credential: Credential) -> Response | None:
    """The file the form names: its sealed stream for the browser that holds the key, or,
    with the code posted, the file opened here as a download. None when the case has no
    such reply file, or it does not open with the code."""
    session = db_session()
    file_id = form.file_id()
    attachment = reply_file(session, case, file_id) if file_id is not None else None
    if attachment is None:
        return None
    if credential.code is None:
        return _sealed(session, attachment)
    opened = open_reply_file(session, case, attachment, credential.code)
    if opened is None:
        return None
    # Bytes only: the browser saves them under the header's name and never renders them.
    return send_file(
        BytesIO(opened.data),
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=opened.name,
        etag=False,
        conditional=False,
        last_modified=None,
    )


def _sealed(session: Session, attachment: Attachment) -> Response:
    """The file's stored chunks in order, as the lawyer's browser sealed them."""
    session.expunge(attachment)  # the stream never reloads it
    return sealed_download(session, attachment)
