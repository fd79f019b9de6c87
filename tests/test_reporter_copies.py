"""The reporter rereads their own case: what they send is sealed to their key as well.

With JavaScript the browser seals each text twice (to the line, and a copy to the reporter's
key); the server checks the copy at the door. Without JavaScript the server seals both on
arrival, and opens the copies again only for a page the case code was posted to.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import crypto
from advisory.models import Case, Direction, Message
from tests.conftest import DEFAULT_NOW, new_message
from tests.reporter_helpers import (
    browser_fields,
    case_code_on,
    count,
    follow_up_csrf,
    lookup_token_text,
    opened,
    page_of,
    post_report,
    reported_case,
    sealed,
)

COPY = "reporter-to-reporter"
FIRST = "Første-kanarifugl: regissøren kom med kommentarer etter hver øving."
LATER = "Oppfølging-kanarifugl: det skjedde igjen i dag."


def post(client, path, **fields):
    return client.post(path, data={"csrf_token": follow_up_csrf(client), **fields})


def only_case(db_session) -> Case:
    return db_session.scalars(select(Case)).one()


def thread_of(response) -> list[str]:
    """The texts of the inbox's thread, in order (a body is `class="body"` or `"body muted"`)."""
    bodies = [el for el in page_of(response).find_all("p") if "body" in el.attrs.get("class", "")]
    return [" ".join(el.text.split()) for el in bodies]


# --- without JavaScript: sealed here, opened here for one page -----------------------------------


def test_without_javascript_the_first_text_and_a_message_read_back_in_order(
    client, db_session, line_key
):
    code = case_code_on(page_of(post_report(client, narrative=FIRST)))
    case = only_case(db_session)
    own_key = crypto.reporter_private_key(code)
    slug = case.line.slug
    assert (
        opened(
            "narrative",
            case.reporter_copy_envelope,
            own_key,
            case.reference,
            line_slug=slug,
            direction=COPY,
        )
        == FIRST
    )

    post(client, "/follow-up/message", code=code, message=LATER)
    response = post(client, "/follow-up", code=code)

    assert response.status_code == 200
    assert thread_of(response) == [FIRST, LATER]
    assert not page_of(response).find_all(data_envelope=None)


def test_the_copies_open_only_with_the_reporters_key_and_only_as_copies(
    client, db_session, line_key
):
    code = case_code_on(page_of(post_report(client, narrative=FIRST)))
    case = only_case(db_session)
    copy = case.reporter_copy_envelope

    # The line's key does not open the reporter's copy, and the copy is no report to the line.
    with pytest.raises(crypto.CryptoError):
        opened(
            "narrative",
            copy,
            line_key.private_key,
            case.reference,
            line_slug=case.line.slug,
            direction=COPY,
        )
    with pytest.raises(crypto.CryptoError):
        opened(
            "narrative",
            copy,
            crypto.reporter_private_key(code),
            case.reference,
            line_slug=case.line.slug,
        )


# --- with JavaScript: sealed in the browser, opened in the browser -------------------------------


def test_with_javascript_the_copies_are_stored_as_sent_and_left_for_the_browser(
    client, db_session, line_key
):
    code = crypto.generate_case_code()
    fields = browser_fields(line_key, code, narrative=FIRST)
    post_report(client, **fields)
    case = only_case(db_session)
    assert case.reporter_copy_envelope == fields["narrative_copy_envelope"]
    own = crypto.reporter_private_key(code).public_key()
    line_public = crypto.public_key_from_text(line_key.line_key.public_key)
    message = sealed("message", LATER, line_public, case.reference, line_slug=case.line.slug)
    copy = sealed("message", LATER, own, case.reference, line_slug=case.line.slug, direction=COPY)
    token = lookup_token_text(code)

    post(
        client,
        "/follow-up/message",
        lookup_token=token,
        message_envelope=message,
        message_copy_envelope=copy,
    )
    response = post(client, "/follow-up", lookup_token=token)

    stored = db_session.scalars(select(Message)).one()
    assert stored.reporter_copy_envelope == copy
    html = response.get_data(as_text=True)
    assert FIRST not in html
    assert LATER not in html
    waiting = page_of(response).find_all(data_envelope=None)
    assert [(el.attrs["data-purpose"], el.attrs["data-direction"]) for el in waiting] == [
        ("narrative", COPY),
        ("message", COPY),
    ]
    assert [el.attrs["data-envelope"] for el in waiting] == [case.reporter_copy_envelope, copy]


def hostile_copies(line_key, code, reference, slug):
    """Copies no page of ours makes: to the line's key, to a stranger's, of another length."""
    own = crypto.reporter_private_key(code).public_key()
    line_public = crypto.public_key_from_text(line_key.line_key.public_key)
    stranger = crypto.generate_keypair().public_key()
    return {
        "to-the-line": sealed(
            "narrative", FIRST, line_public, reference, line_slug=slug, direction=COPY
        ),
        "to-a-stranger": sealed(
            "narrative", FIRST, stranger, reference, line_slug=slug, direction=COPY
        ),
        "another-length": sealed(
            "narrative", FIRST * 20, own, reference, line_slug=slug, direction=COPY
        ),
        "damaged": "v2.0123456789abcdef.AAAA",
    }


@pytest.mark.parametrize("kind", ["to-the-line", "to-a-stranger", "another-length", "damaged"])
def test_a_report_with_a_copy_no_page_makes_is_refused_and_nothing_stored(
    client, db_session, line_key, kind
):
    code = crypto.generate_case_code()
    fields = browser_fields(line_key, code, narrative=FIRST)
    fields["narrative_copy_envelope"] = hostile_copies(line_key, code, "AAAA-AAAA", "main")[kind]

    response = post_report(client, **fields)

    assert response.status_code == 400
    assert page_of(response).find_all(id="error-summary")
    assert count(db_session, Case) == 0


def test_a_copy_of_no_text_is_refused(client, db_session, line_key):
    code = crypto.generate_case_code()
    fields = browser_fields(line_key, code, narrative=FIRST)
    fields["narrative_envelope"] = ""

    response = post_report(client, **fields)

    assert response.status_code == 400
    assert count(db_session, Case) == 0


def test_a_message_with_a_copy_to_another_key_is_refused_and_nothing_stored(
    client, db_session, app, line_key
):
    code = crypto.generate_case_code()
    case = reported_case(db_session, app, code)
    line_public = crypto.public_key_from_text(line_key.line_key.public_key)
    message = sealed("message", LATER, line_public, case.reference, line_slug=case.line.slug)
    to_line = sealed(
        "message", LATER, line_public, case.reference, line_slug=case.line.slug, direction=COPY
    )

    response = post(
        client,
        "/follow-up/message",
        lookup_token=lookup_token_text(code),
        message_envelope=message,
        message_copy_envelope=to_line,
    )

    assert response.status_code == 400
    assert count(db_session, Message) == 0


# --- cases from before the copies ----------------------------------------------------------------


def test_texts_sent_before_copies_existed_say_so(client, db_session, app, line_key):
    code = crypto.generate_case_code()
    case = reported_case(db_session, app, code)
    line_public = crypto.public_key_from_text(line_key.line_key.public_key)
    case.narrative_envelope = sealed(
        "narrative", FIRST, line_public, case.reference, line_slug=case.line.slug
    )
    old = sealed("message", LATER, line_public, case.reference, line_slug=case.line.slug)
    db_session.add(
        new_message(
            Direction.FROM_REPORTER,
            old,
            case_id=case.id,
            created_at=DEFAULT_NOW + timedelta(hours=1),
        )
    )
    db_session.commit()

    for credential in ({"code": code}, {"lookup_token": lookup_token_text(code)}):
        response = post(client, "/follow-up", **credential)

        said = "Sendt før dette var mulig: bare advokatene kan lese den."
        assert thread_of(response) == [said, said]
        assert FIRST not in response.get_data(as_text=True)
