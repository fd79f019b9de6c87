"""Request bodies: each route takes the size it needs, and a refusal reaches the browser.

The Flask test client checks the 413 pages: the report and message forms come back filled in
with what could be kept (never a phone number), other posts get a plain page in the page's
language with a way back, and nothing of a refused request is stored. Reading what is left of
a refused body is checked on its own (bounded in bytes and time, the same whatever the pieces
it arrives in), and a real gunicorn shows that a 20 MB post gets its whole answer every time.
"""

from __future__ import annotations

import functools
import re
import socket
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import BinaryIO
from unittest import mock
from urllib.parse import quote_plus

import pytest
from flask import Request
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import EnvironBuilder, encode_multipart

import crypto
from advisory import body_limits
from advisory.body_limits import CHUNK_BATCH, LARGE_FORM, limit_for, read_refused_body
from advisory.models import Case, ContactPreference, Field, Kind, Message
from advisory.reporter.forms import MAX_MESSAGE_CHARS, MAX_NARRATIVE_CHARS
from advisory.settings import AttachmentLimits
from tests.reporter_helpers import (
    NARRATIVE,
    PHONE,
    count,
    follow_up_csrf,
    get_report,
    lookup_token_text,
    page_of,
    report_data,
    reported_case,
    reporter_public_key_text,
)
from tests.support.raw_http import read_until_closed, send_raw
from tests.test_gunicorn_config import initialised_instance
from tests.test_logging_privacy import running_gunicorn

FORM = "application/x-www-form-urlencoded"

EVIDENCE_TOTAL = AttachmentLimits().max_total_bytes  # the default


@pytest.fixture
def english(client, line_key):
    """A visitor whose pages are in English."""
    token = follow_up_csrf(client)
    assert client.post("/language", data={"csrf_token": token, "language": "en"}).status_code == 302
    return client


def over(limit: int) -> str:
    """A text that by itself is larger than `limit` bytes."""
    return "x" * (limit + 1)


def kilobytes(limit: int) -> str:
    return f"({limit // 1024} KB)"


# --- which route takes how much ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "size", "refused"),
    [
        ("/language", 40 * 1024, True),
        ("/staff/login", 40 * 1024, True),
        ("/cases/ABCD-1234/take", 40 * 1024, True),
        ("/report", 300 * 1024, False),
        ("/follow-up/message", 300 * 1024, False),
        ("/cases/ABCD-1234/reply", 300 * 1024, False),
        ("/report", LARGE_FORM + 1, True),  # text fields: at most a large form's size
        ("/report", EVIDENCE_TOTAL + LARGE_FORM + 1, True),
        ("/report/language", LARGE_FORM + 1, True),  # the language switch sends no files
        ("/api/v1/uploads/chunks/0", CHUNK_BATCH + 1, True),
    ],
)
def test_each_route_reads_a_body_of_the_size_it_needs_and_no_more(client, path, size, refused):
    method = "PUT" if "/chunks/" in path else "POST"
    client.application.url_map.bind("").match(path, method)  # the path names a route
    body = b"narrative=" + b"x" * (size - len(b"narrative="))

    response = client.open(path, method=method, data=body, content_type=FORM)

    # Not refused: read, then turned away by the CSRF check (no token), a 4xx all the same.
    assert (response.status_code == 413) is refused
    assert 400 <= response.status_code < 500


def post_in_chunks(client, path: str, body: bytes):
    """A form sent without a length, as a server that ends a chunked body hands it on."""
    return client.post(
        path,
        input_stream=BytesIO(body),
        content_type=FORM,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_form_sent_in_chunks_is_read_whole_or_refused_whole(english):
    token = follow_up_csrf(english)
    switch = f"csrf_token={token}&language=nb".encode()
    padding = b"&padding=" + b"x" * limit_for("reporter.change_language")

    # Over the limit: refused, not cut at the limit and read as a shorter form.
    assert post_in_chunks(english, "/language", switch + padding).status_code == 413
    assert 'lang="en"' in english.get("/").get_data(as_text=True)
    # Within it: read to its end.
    assert post_in_chunks(english, "/language", switch).status_code == 302
    assert 'lang="nb"' in english.get("/").get_data(as_text=True)


# --- the report form comes back ----------------------------------------------------------------


def test_oversized_report_comes_back_with_all_but_the_long_text_and_the_phone(english, db_session):
    page = get_report(english)
    data = report_data(
        page,
        kind=Kind.SEXUAL_HARASSMENT.value,
        ongoing="yes",
        field=Field.MUSIC.value,
        contact_preference=ContactPreference.CALLBACK.value,
        phone=PHONE,
        voicemail_ok="no",
        narrative=over(LARGE_FORM),
    )

    response = english.post("/report", data=data)

    assert response.status_code == 413
    again = page_of(response)
    assert again.checked("kind") == [Kind.SEXUAL_HARASSMENT.value]
    assert again.checked("ongoing") == ["yes"]
    assert again.selected("field") == [Field.MUSIC.value]
    assert again.checked("contact_preference") == [ContactPreference.CALLBACK.value]
    assert again.checked("voicemail_ok") == ["no"]
    assert again.input_value("submission_token") == data["submission_token"]
    # The text that was too long is named, with both limits; it and the phone are not echoed.
    assert again.by_id("narrative").value == ""
    assert again.input_value("phone") == ""
    assert PHONE not in again.html
    assert f"at most {MAX_NARRATIVE_CHARS:,} characters" in again.by_id("narrative-error").text
    summary = again.by_id("error-summary").text
    assert kilobytes(LARGE_FORM) in summary
    assert "What happened" in summary  # the label of the text that was too long
    assert count(db_session, Case) == 0


def test_report_sealed_by_the_script_keeps_what_fits_as_well(english, db_session):
    page = get_report(english)
    code = crypto.generate_case_code()
    sealed = {
        "encryption": "browser",
        # far more than any narrative seals to, and more than a report with files may be
        "narrative_envelope": over(EVIDENCE_TOTAL + LARGE_FORM),
        "lookup_token": lookup_token_text(code),
        "reporter_public_key": reporter_public_key_text(code),
    }
    data = report_data(page, kind=Kind.ABUSE_OF_POWER.value, **sealed)

    # Encoded here: the test client keeps a body this large in a file it never closes.
    body = multipart_body(list(data.items()), "form-boundary")
    content_type = "multipart/form-data; boundary=form-boundary"

    response = english.post("/report", data=body, content_type=content_type)

    assert response.status_code == 413
    again = page_of(response)
    assert again.checked("kind") == [Kind.ABUSE_OF_POWER.value]
    assert again.has_id("narrative-error")  # the script shows it beside the text it keeps
    assert again.input_value("narrative_envelope") == ""
    assert count(db_session, Case) == 0


# --- the message form comes back ---------------------------------------------------------------


@pytest.fixture
def code(db_session, app, line_key):
    code = crypto.generate_case_code()
    reported_case(db_session, app, code)
    return code


def message_form(html: str) -> str:
    form = re.search(r'(?s)<form method="post" action="/follow-up/message"[^>]*>(.*?)</form>', html)
    assert form, "a form that posts the message again"
    return form.group(1)


def test_oversized_message_comes_back_with_the_code_and_the_limit(english, db_session, code):
    token = follow_up_csrf(english)
    data = {"csrf_token": token, "code": code, "message": over(LARGE_FORM)}

    response = english.post("/follow-up/message", data=data)

    assert response.status_code == 413
    html = response.get_data(as_text=True)
    form = message_form(html)
    assert 'name="csrf_token"' in form
    assert f'<input type="hidden" name="code" value="{code}">' in form
    assert re.search(r'<textarea id="message" name="message"[^>]*></textarea>', form)
    assert f"at most {MAX_MESSAGE_CHARS:,} characters" in html
    assert kilobytes(LARGE_FORM) in html
    assert count(db_session, Message) == 0


def test_message_that_fits_is_kept_when_the_rest_of_the_body_is_too_large(
    english, db_session, code
):
    token = follow_up_csrf(english)
    data = {"csrf_token": token, "code": code, "message": NARRATIVE, "padding": over(LARGE_FORM)}

    response = english.post("/follow-up/message", data=data)

    assert response.status_code == 413
    form = message_form(response.get_data(as_text=True))
    assert f">{NARRATIVE}</textarea>" in form
    assert count(db_session, Message) == 0


# --- every other post: a plain page with a way back ---------------------------------------------


@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("/language", "/"),
        ("/staff/login", "/staff/login"),
        ("/cases/ABCD-1234/take", "/cases/ABCD-1234"),
        ("/follow-up/callback/cancel", "/follow-up"),
        ("/notices/7/read", "/notices"),
    ],
)
def test_other_oversized_posts_get_a_page_in_the_visitors_language_with_a_way_back(
    client, line_key, path, back
):
    limit = limit_for(client.application.url_map.bind("").match(path, "POST")[0])

    response = client.post(path, data={"text": over(limit)})

    assert response.status_code == 413
    page = page_of(response)
    # Norwegian, the default language.
    assert f"({limit // 1024} kB)" in page.html
    assert "Ingenting ble lagret" in page.html
    assert [a.attrs["href"] for a in page.one("main").find_all("a")][-1] == back


# --- reading what is left of a refused body ----------------------------------------------------


def refused_request(body: bytes, content_type: str = FORM, limit: int = 100) -> Request:
    """A request over its limit of `limit` bytes, with its body not yet read."""
    environ = EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    request = Request(environ)
    request.max_content_length = limit
    return request


def as_list(fields: MultiDict[str, str]) -> list[tuple[str, str]]:
    return list(fields.items(multi=True))


def multipart_body(pairs: list[tuple[str, str]], boundary: str) -> bytes:
    """Fields as a browser encodes them (RFC 7578): a line break before every delimiter."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in pairs
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


names = st.sampled_from(["kind", "narrative", "code", "other", "k&y", "n=m"])
values = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)


def expected_fields(
    pairs: list[tuple[str, str]], keep: frozenset[str], budget: int
) -> tuple[list[tuple[str, str]], set[str]]:
    """The rule, one field at a time: a wanted field is kept while it fits, else dropped."""
    kept, dropped, used = [], set(), 0
    for name, value in pairs:
        encoded = quote_plus(value)
        if name not in keep:
            continue
        if len(quote_plus(name)) + 1 + len(encoded) > budget or used + len(encoded) > budget:
            dropped.add(name)
            continue
        used += len(encoded)
        kept.append((name, value))
    return kept, dropped


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.lists(st.tuples(names, values), max_size=8),
    budget=st.integers(min_value=1, max_value=120),
    piece=st.integers(min_value=1, max_value=30),
)
def test_urlencoded_fields_are_kept_by_the_rule_however_the_body_arrives(pairs, budget, piece):
    body = "&".join(f"{quote_plus(n)}={quote_plus(v)}" for n, v in pairs).encode()
    keep = frozenset({"kind", "narrative", "code", "k&y", "n=m"})

    with mock.patch.object(body_limits, "_CHUNK", piece):  # the pieces the body arrives in
        refused = read_refused_body(refused_request(body, limit=0), keep, budget)

    kept, dropped = expected_fields(pairs, keep, budget)
    assert as_list(refused.fields) == as_list(MultiDict(kept))
    assert refused.dropped == dropped


@settings(max_examples=100, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(names, values.filter(lambda v: "--the-boundary" not in v)), max_size=6
    ),
    budget=st.integers(min_value=1, max_value=120),
    piece=st.integers(min_value=1, max_value=30),
)
def test_multipart_fields_are_kept_by_the_same_rule(pairs, budget, piece):
    boundary = "the-boundary"
    body = multipart_body(pairs, boundary)
    content_type = f"multipart/form-data; boundary={boundary}"
    keep = frozenset({"kind", "narrative", "code", "k&y", "n=m"})

    with mock.patch.object(body_limits, "_CHUNK", piece):
        refused = read_refused_body(refused_request(body, content_type, limit=0), keep, budget)

    # The body says what the pairs say (Werkzeug reads it so), and multipart carries values
    # as they are: the same rule, with their UTF-8 sizes.
    sent = Request(
        EnvironBuilder(method="POST", data=body, content_type=content_type).get_environ()
    )
    assert as_list(sent.form) == as_list(MultiDict(pairs))
    kept, dropped, used = [], set(), 0
    for name, value in pairs:
        size = len(value.encode())
        if name not in keep:
            continue
        if size > budget or used + size > budget:
            dropped.add(name)
            continue
        used += size
        kept.append((name, value))
    assert as_list(refused.fields) == as_list(MultiDict(kept))
    assert refused.dropped == dropped


def test_file_parts_are_never_kept():
    upload = FileStorage(BytesIO(b"a file's text"), filename="a.txt", name="narrative")
    _, body = encode_multipart(MultiDict({"kind": "other", "narrative": upload}), boundary="b")
    request = refused_request(body, "multipart/form-data; boundary=b", limit=0)

    refused = read_refused_body(request, frozenset({"kind", "narrative"}), 1000)

    assert list(refused.fields.items(multi=True)) == [("kind", "other")]
    assert not refused.dropped


def test_a_body_larger_than_the_drain_cap_is_not_read(monkeypatch):
    monkeypatch.setattr(body_limits, "DRAIN_CAP", 1000)
    request = refused_request(b"narrative=" + b"x" * 5000)

    refused = read_refused_body(request, frozenset({"narrative"}), 100)

    assert request.environ["wsgi.input"].tell() == 0
    assert not refused.fields
    assert not refused.dropped


def test_an_unterminated_stream_without_a_length_is_not_read():
    request = refused_request(b"narrative=short")
    del request.environ["CONTENT_LENGTH"]  # chunked, from a server that does not end it
    request.environ.pop("wsgi.input_terminated", None)

    refused = read_refused_body(request, frozenset({"narrative"}), 100)

    assert request.environ["wsgi.input"].tell() == 0
    assert not refused.fields


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket, BinaryIO]]:
    """Both ends of a connection, and the server end as the stream a server reads."""
    server_side, client_side = socket.socketpair()
    stream = server_side.makefile("rb")
    yield server_side, client_side, stream
    stream.close()
    server_side.close()
    client_side.close()


def test_a_stalled_body_holds_the_worker_only_briefly(monkeypatch, connection):
    server_side, client_side, stream = connection
    monkeypatch.setattr(body_limits, "STALL_SECONDS", 0.2)
    client_side.sendall(b"narrative=" + b"x" * 90)  # 100 of the 10 000 bytes announced
    environ = EnvironBuilder(method="POST", content_type=FORM).get_environ()
    environ.update(
        {"CONTENT_LENGTH": "10000", "wsgi.input": stream, "gunicorn.socket": server_side}
    )
    request = Request(environ)
    request.max_content_length = 50

    started = time.monotonic()
    refused = read_refused_body(request, frozenset({"narrative"}), 1000)

    assert time.monotonic() - started < 2
    assert server_side.gettimeout() is None  # the server's socket as it was
    assert not refused.fields


# --- under gunicorn, the answer reaches the client ----------------------------------------------

HUGE = 20 * 1000 * 1000  # a 20 MB body
TRIES = 5
POSTS = ["/report", "/language", "/follow-up", "/follow-up/message", "/staff/login"]
POSTS.append("/cases/ABCD-1234/take")


@functools.cache
def oversized_form(size: int) -> bytes:
    return b"narrative=" + b"x" * (size - len(b"narrative="))


def post_whole_body(port: int, path: str, size: int, chunked: bool = False) -> bytes:
    """Send a `size`-byte form to `path`, all of it, as a slow browser does (with a length,
    or in chunks); then read the answer until the server closes. b"" if the connection broke."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
        f"{framing}\r\nConnection: close\r\n\r\n"
    ).encode()
    body = memoryview(oversized_form(size))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(head)
            if chunked:
                for start in range(0, size, 1 << 16):
                    piece = body[start : start + (1 << 16)]
                    connection.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                connection.sendall(b"0\r\n\r\n")
            else:
                connection.sendall(body)
            return read_until_closed(connection)
    except OSError:
        return b""


def complete_413(answer: bytes) -> bool:
    head, _, content = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return (
        head.startswith(b"HTTP/1.1 413 ")
        and length is not None
        and len(content) == int(length.group(1))
    )


def test_gunicorn_delivers_the_413_for_a_20_mb_post_every_time(tmp_path: Path):
    env = initialised_instance(tmp_path)
    with running_gunicorn(tmp_path, env) as server:
        answers = {
            (path, attempt): post_whole_body(server.port, path, HUGE)
            for path in POSTS
            for attempt in range(TRIES)
        }
        answers["/report", "chunked"] = post_whole_body(server.port, "/report", HUGE, chunked=True)
        bad_chunking = post_bad_chunks(server.port, "/language")

    broken = [key for key, answer in answers.items() if not complete_413(answer)]
    assert broken == [], server.output
    assert b'id="report-form"' in answers["/report", 0]  # the form again, not an error page
    # A chunked body the server cannot read is the client's error, not the app's.
    assert bad_chunking.startswith(b"HTTP/1.1 400 "), bad_chunking[:200]


def post_bad_chunks(port: int, path: str) -> bytes:
    """A chunked form whose second chunk size is not a number."""
    request = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        "5\r\nnext=\r\nzz\r\n/\r\n0\r\n\r\n"
    ).encode()
    return send_raw(port, request, timeout=30)
