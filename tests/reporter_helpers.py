"""Shared helpers for the reporter web tests: reading pages, filling forms, sealing like a browser.

Data a test sets up before a request must be committed, not only flushed: every request ends
with Flask-SQLAlchemy's session teardown, which rolls back what was only flushed. Inside the
`db_session` fixture a commit merely releases a savepoint; the outer transaction is still rolled
back after the test.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

import crypto
from advisory.extensions import db
from advisory.models import Case, ContactPreference, Kind, Line, LineKey, Role
from advisory.services.intake import Contact, ReporterKeys, submit_case
from advisory.services.line_keys import DEFAULT_LINE_SLUG, NewLineKey, default_line
from advisory.services.replies import record_reply
from advisory.services.staff import add_staff
from advisory.settings import Settings
from advisory.triage import Answers
from crypto import stream
from crypto.encoding import b64url_encode
from tests.conftest import DEFAULT_NOW
from tests.conftest import set_up_line_key as set_up_line_key

# A fake but well-formed phone number, and a text nobody else would type.
PHONE = "+47 912 34 567"
NARRATIVE = "Kanarifugl-fortelling: the stage manager kept the keys to the dressing room."

# --- reading pages ---------------------------------------------------------------------------

# Elements without an end tag.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    text: str = ""
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def value(self) -> str:
        """What a browser would send: an input's value, a textarea's content."""
        if self.tag == "textarea":
            return self.text.removeprefix("\r\n").removeprefix("\n")
        return self.attrs.get("value", "")

    def inside(self, other: Element) -> bool:
        node = self.parent
        while node is not None:
            if node is other:
                return True
            node = node.parent
        return False

    def find_all(self, tag: str | None = None, **attrs: str | None) -> list[Element]:
        return [el for el in _descendants(self) if _matches(el, tag, attrs)]


class Page:
    """A parsed HTML page: enough to find elements by tag and attribute, and read forms."""

    def __init__(self, html: str) -> None:
        self.html = html
        self.root = Element("#root", {}, None)
        _TreeBuilder(self.root).feed(html)

    def find_all(self, tag: str | None = None, **attrs: str | None) -> list[Element]:
        """Elements by tag and attributes (`data_case_code=None`: the attribute is present)."""
        return self.root.find_all(tag, **attrs)

    def one(self, tag: str | None = None, **attrs: str | None) -> Element:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"expected one {tag} {attrs}, found {len(found)}"
        return found[0]

    def by_id(self, element_id: str) -> Element:
        return self.one(id=element_id)

    def has_id(self, element_id: str) -> bool:
        return bool(self.find_all(id=element_id))

    def input_value(self, name: str) -> str:
        return self.find_all("input", name=name)[0].value

    def checked(self, name: str) -> list[str]:
        return [el.value for el in self.find_all("input", name=name) if "checked" in el.attrs]

    def selected(self, name: str) -> list[str]:
        select_ = self.one("select", name=name)
        return [el.value for el in select_.find_all("option") if "selected" in el.attrs]


def _matches(el: Element, tag: str | None, attrs: dict[str, str | None]) -> bool:
    if tag is not None and el.tag != tag:
        return False
    for key, wanted in attrs.items():
        name = key.replace("_", "-") if key.startswith(("data_", "aria_")) else key
        if name not in el.attrs or (wanted is not None and el.attrs[name] != wanted):
            return False
    return True


def _descendants(el: Element) -> list[Element]:
    found: list[Element] = []
    for child in el.children:
        found.append(child)
        found.extend(_descendants(child))
    return found


class _TreeBuilder(HTMLParser):
    def __init__(self, root: Element) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        for element in self.stack[1:]:
            element.text += data


def page_of(response: TestResponse) -> Page:
    return Page(response.get_data(as_text=True))


_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")')
_CODE_VALUE = re.compile(r'(<input[^>]*name="code"[^>]*value=")[^"]*(")')


def without_csrf_tokens(html: str) -> str:
    """The page with every CSRF token blanked (they are signed with a timestamp)."""
    return _CSRF_VALUE.sub(r"\1\2", html)


def without_typed_code(html: str) -> str:
    """The page with the code field blanked as well (see the echo bug in test_follow_up_web)."""
    return _CODE_VALUE.sub(r"\1\2", without_csrf_tokens(html))


# --- the line and its key ----------------------------------------------------------------------


def settings_of(app: Flask) -> Settings:
    settings: Settings = app.extensions["advisory_settings"]
    return settings


def pepper_of(app: Flask) -> bytes:
    secrets = settings_of(app).secrets
    assert secrets is not None
    return secrets.pepper


def other_line_key(session: Session) -> X25519PublicKey:
    """A second line with a public key of its own, committed: to seal to the wrong line."""
    other = Line(slug="other", name="Other line", created_at=DEFAULT_NOW)
    key = crypto.generate_keypair().public_key()
    session.add(other)
    session.flush()
    session.add(
        LineKey(
            line_id=other.id,
            key_id=crypto.key_id_for(key),
            public_key=crypto.public_key_to_text(key),
            created_at=DEFAULT_NOW,
        )
    )
    session.commit()
    return key


def first_line_id(session: Session) -> int:
    """The line a bare address belongs to: the deployment's first."""
    line = default_line(session)
    assert line is not None, "run initialise_line first"
    return line.id


def line_public_key(new: NewLineKey) -> X25519PublicKey:
    return crypto.public_key_from_text(new.line_key.public_key)


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def only_case(session: Session) -> Case:
    return session.scalars(select(Case)).one()


# --- the report form ---------------------------------------------------------------------------


def page_at(client: FlaskClient, path: str) -> Page:
    """The page at `path`, which must open."""
    response = client.get(path)
    assert response.status_code == 200
    return page_of(response)


def form_data(
    page: Page, defaults: dict[str, str | None], fields: dict[str, str | None]
) -> dict[str, str]:
    """A form as a browser would send it: the tokens from `page`, then `defaults`, then
    `fields`; `None` leaves a field out."""
    data: dict[str, str | None] = {
        "csrf_token": page.input_value("csrf_token"),
        "submission_token": page.input_value("submission_token"),
        **defaults,
        **fields,
    }
    return {key: value for key, value in data.items() if value is not None}


# A stored report is answered with a redirect to its receipt (post/redirect/get).
STORED = 303


def get_report(client: FlaskClient) -> Page:
    return page_at(client, "/report")


def report_data(page: Page, **fields: str | None) -> dict[str, str]:
    """The report form as a browser would send it: an inbox report by default."""
    defaults: dict[str, str | None] = {
        "kind": Kind.DISCRIMINATION.value,
        "contact_preference": ContactPreference.INBOX.value,
        "slot": "any",
    }
    return form_data(page, defaults, fields)


def post_report(client: FlaskClient, **fields: str | None) -> TestResponse:
    """Open the report page, fill it in (`None` leaves a field out) and send it; a stored
    report's redirect is followed to its receipt, as a browser does."""
    return client.post(
        "/report", data=report_data(get_report(client), **fields), follow_redirects=True
    )


def post_sealed_report(
    client: FlaskClient,
    line_key: NewLineKey,
    code: str,
    *,
    narrative: str | None = None,
    phone: str | None = None,
    **fields: str | None,
) -> SealedReport:
    """As report.js sends it: envelopes bound to the line and reference the page names."""
    page = get_report(client)
    form = page.one("form", id="report-form")
    reference = form.attrs.get("data-reference", "")
    slug = form.attrs.get("data-line-slug", "")
    sealed_fields = browser_fields(
        line_key, code, narrative=narrative, phone=phone, reference=reference, line_slug=slug
    )
    data = report_data(page, **sealed_fields, **fields)
    response = client.post("/report", data=data, follow_redirects=True)
    return SealedReport(response, reference, slug)


@dataclass(frozen=True)
class SealedReport:
    response: TestResponse
    reference: str  # the case's, as the form named it
    line_slug: str


def offered_slots(page: Page) -> list[Element]:
    return [el for el in page.find_all("input", name="slot") if el.value != "any"]


def slot_label(page: Page, slot_input: Element) -> str:
    return " ".join(page.one("label", **{"for": slot_input.attrs["id"]}).text.split())


def case_code_on(page: Page) -> str:
    return page.one(data_case_code=None).text.strip()


# --- what the browser does with JavaScript -----------------------------------------------------


def lookup_token_text(code: str) -> str:
    return b64url_encode(crypto.lookup_token(code))


def reporter_public_key_text(code: str) -> str:
    return crypto.public_key_to_text(crypto.reporter_private_key(code).public_key())


# Any well-formed reference: the server stores an envelope it cannot open, whatever case it
# was bound to; tests that open one use the case's real reference.
SOME_REFERENCE = "AAAA-AAAA"
DIRECTION_OF = {
    "narrative": "reporter-to-line",
    "message": "reporter-to-line",
    "contact": "reporter-to-line",
    "reply": "line-to-reporter",
    "attachment": "reporter-to-line",
}


def sealed(
    purpose: str,
    text: str,
    public_key: X25519PublicKey,
    reference: str = SOME_REFERENCE,
    *,
    line_slug: str = DEFAULT_LINE_SLUG,
    direction: str | None = None,
) -> str:
    """An envelope as our pages seal it: version 2, bound to a line, case and direction."""
    return crypto.seal(purpose, text, public_key, _where(purpose, line_slug, reference, direction))


def opened(
    purpose: str,
    envelope: str,
    private_key: X25519PrivateKey,
    reference: str,
    *,
    line_slug: str = DEFAULT_LINE_SLUG,
    direction: str | None = None,
) -> str:
    where = _where(purpose, line_slug, reference, direction)
    return crypto.open(purpose, envelope, private_key, where).decode()


def _where(
    purpose: str, line_slug: str, reference: str, direction: str | None
) -> crypto.EnvelopeContext:
    return crypto.EnvelopeContext(line_slug, reference, direction or DIRECTION_OF[purpose])


def form_reference(page: Page) -> str:
    """The reference the report form names for the case it will make (data-reference)."""
    return page.one("form", id="report-form").attrs.get("data-reference", "")


def browser_fields(
    line_key: NewLineKey,
    code: str,
    *,
    narrative: str | None = None,
    phone: str | None = None,
    reference: str = SOME_REFERENCE,
    line_slug: str = DEFAULT_LINE_SLUG,
) -> dict[str, str]:
    """The hidden fields report.js fills in: envelopes sealed to the line key, the text's copy
    sealed to the reporter's own key, and the code's lookup token and reply public key (the
    code itself never leaves the browser)."""
    key = line_public_key(line_key)
    own_key = crypto.reporter_private_key(code).public_key()
    copy = "reporter-to-reporter"
    return {
        "encryption": "browser",
        "narrative_envelope": (
            sealed("narrative", narrative, key, reference, line_slug=line_slug) if narrative else ""
        ),
        "narrative_copy_envelope": (
            sealed("narrative", narrative, own_key, reference, line_slug=line_slug, direction=copy)
            if narrative
            else ""
        ),
        "contact_envelope": (
            sealed("contact", phone, key, reference, line_slug=line_slug) if phone else ""
        ),
        "lookup_token": lookup_token_text(code),
        "reporter_public_key": reporter_public_key_text(code),
    }


# --- cases as a reporter leaves them, for the follow-up tests ------------------------------------


def reported_case(
    session: Session,
    app: Flask,
    code: str,
    *,
    callback: bool = False,
    now: datetime = DEFAULT_NOW,
    line_key: NewLineKey | None = None,
) -> Case:
    """A case stored by the intake service (as the report form stores it), committed."""
    contact = Contact(ContactPreference.INBOX)
    if callback:
        assert line_key is not None, "a callback needs the line key to seal the number"
        envelope = sealed("contact", PHONE, line_public_key(line_key))
        contact = Contact(ContactPreference.CALLBACK, contact_envelope=envelope)
    public = reporter_public_key_text(code)
    submission = submit_case(
        session,
        line_id=first_line_id(session),
        pepper=pepper_of(app),
        submission_token=f"token-for-{code}",
        answers=Answers(kind=Kind.DISCRIMINATION),
        narrative_envelope=None,
        reporter=ReporterKeys(crypto.lookup_token(code), public),
        contact=contact,
        now=now,
    )
    session.commit()
    return submission.case


def follow_up_csrf(client: FlaskClient) -> str:
    response = client.get("/follow-up")
    assert response.status_code == 200
    return page_of(response).input_value("csrf_token")


def case_with_reply(app: Flask, code: str, reply: str) -> None:
    """A case as intake stores it, with a lawyer's reply sealed to the code's reporter key."""
    with app.app_context():
        session = db.session()
        case = reported_case(session, app, code)
        secrets_ = settings_of(app).secrets
        assert secrets_ is not None
        lawyer = add_staff(
            session,
            username=f"lawyer-{secrets.token_hex(4)}",
            role=Role.LAWYER,
            data_key=secrets_.data_key,
            now=DEFAULT_NOW,
        ).staff
        public = crypto.reporter_private_key(code).public_key()
        envelope = sealed("reply", reply, public, case.reference)
        record_reply(session, case=case, envelope=envelope, author=lawyer, now=DEFAULT_NOW)
        session.commit()


# --- evidence files as a browser seals them ------------------------------------------------------


@dataclass(frozen=True)
class StreamedFile:
    """A file padded and sealed as a stream under a fresh content key, with its header JSON
    (what the header envelope holds) still to be sealed."""

    padded: bytes
    chunks: list[bytes]
    header: str


def streamed_file(data: bytes, name: str, media_type: str) -> StreamedFile:
    content_key = stream.new_content_key()
    padded = stream.pad_to_bucket(data)
    header = {
        "v": 1,
        "key": b64url_encode(content_key),
        "name": name,
        "type": media_type,
        "size": len(data),
        "removed": [],
    }
    return StreamedFile(padded, stream.seal_chunks(content_key, padded), json.dumps(header))
