"""The follow-up inbox over HTTP: opening it with the code, replies, messages, cancel, erase.

The case code is the reporter's only credential: it travels only in POST bodies, is never
stored, and a wrong code cannot be told apart from a deleted case.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

import crypto
from advisory.models import (
    Callback,
    CallbackSlot,
    CallbackStatus,
    Case,
    Direction,
    Message,
    Notification,
    Role,
    StatsDaily,
)
from tests.conftest import DEFAULT_NOW, new_message
from tests.reporter_helpers import (
    count,
    follow_up_csrf,
    lookup_token_text,
    opened,
    other_line_key,
    page_of,
    reported_case,
    sealed,
    without_csrf_tokens,
    without_typed_code,
)

REPLY = "Svar-kanarifugl: you may ask the employer for the policy in writing."
WRITTEN = "Melding-kanarifugl: it happened again on Friday."
# Tuesday 24 November 10:00 in Oslo, as the Norwegian pages write it.
DUE_ON_PAGE = "tirsdag 24. november kl. 10:00"
COPY = "reporter-to-reporter"


@pytest.fixture
def code():
    return crypto.generate_case_code()


@pytest.fixture
def case(db_session, app, line_key, code):
    return reported_case(db_session, app, code)


def post(client, path, **fields):
    return client.post(path, data={"csrf_token": follow_up_csrf(client), **fields})


def add_reply(db_session, case_id, code, author_id):
    """A lawyer's reply, sealed to the reporter's key as the lawyer's browser does."""
    public = crypto.reporter_private_key(code).public_key()
    case = db_session.get(Case, case_id)
    envelope = sealed("reply", REPLY, public, case.reference, line_slug=case.line.slug)
    db_session.add(
        new_message(
            Direction.TO_REPORTER,
            envelope,
            case_id=case_id,
            author_staff_id=author_id,
            created_at=DEFAULT_NOW + timedelta(hours=1),
        )
    )
    db_session.commit()
    return envelope


# --- opening the inbox --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.lower(),
        lambda code: code.replace("-", " "),
        lambda code: code.replace("-", ""),
        lambda code: f"  {code.lower().replace('-', '')}  ",
    ],
    ids=["as-given", "lower-case", "spaces", "no-dashes", "lower-no-dashes-padded"],
)
def test_code_opens_the_inbox_however_it_is_typed(client, case, code, typed):
    response = post(client, "/follow-up", code=typed(code))

    assert response.status_code == 200
    page = page_of(response)
    assert page.has_id("status-heading")
    assert DUE_ON_PAGE in page.by_id("status-heading").parent.text
    # Every form on the page proves the code again, in its canonical form, in the body
    assert {el.value for el in page.find_all("input", name="code")} == {code}


def test_reply_is_shown_decrypted_without_javascript(client, db_session, case, code, make_staff):
    lawyer_id = make_staff().id
    add_reply(db_session, case.id, code, lawyer_id)

    page = page_of(post(client, "/follow-up", code=code))

    bodies = [el.text.strip() for el in page.find_all("p", **{"class": "body"})]
    assert REPLY in bodies
    assert not page.find_all(data_envelope=None)


def test_reply_stays_sealed_for_the_browser_with_javascript(
    client, db_session, case, code, make_staff
):
    lawyer_id = make_staff().id
    envelope = add_reply(db_session, case.id, code, lawyer_id)

    response = post(client, "/follow-up", lookup_token=lookup_token_text(code))

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert REPLY not in html
    assert code not in html
    page = page_of(response)
    sealed = page.find_all(data_envelope=None, data_purpose="reply")
    assert [el.attrs["data-envelope"] for el in sealed] == [envelope]
    assert {el.attrs["data-direction"] for el in sealed} == {"line-to-reporter"}
    assert {el.value for el in page.find_all("input", name="lookup_token")} == {
        lookup_token_text(code)
    }


# --- wrong, deleted and ill-formed codes --------------------------------------------------------


@pytest.mark.parametrize(
    "compared",
    [without_csrf_tokens, without_typed_code],
    ids=["the-whole-page", "but-for-the-code-field"],
)
def test_wrong_code_answers_like_a_deleted_case(client, db_session, app, line_key, compared):
    deleted_code = crypto.generate_case_code()
    db_session.delete(reported_case(db_session, app, deleted_code))
    db_session.commit()

    unknown = post(client, "/follow-up", code=crypto.generate_case_code())
    gone = post(client, "/follow-up", code=deleted_code)

    assert unknown.status_code == gone.status_code == 400
    assert compared(unknown.get_data(as_text=True)) == compared(gone.get_data(as_text=True))


def test_wrong_code_is_not_echoed_back(client, line_key):
    typed = crypto.generate_case_code()

    response = post(client, "/follow-up", code=typed)

    html = response.get_data(as_text=True)
    assert typed not in html
    assert typed.replace("-", "") not in html


def test_ill_formed_code_says_what_is_wrong_with_the_same_status(client, line_key):
    unknown = post(client, "/follow-up", code=crypto.generate_case_code())
    short = post(client, "/follow-up", code="ABCD-EFGH")

    assert short.status_code == unknown.status_code == 400
    problem = page_of(short).by_id("error-summary").text
    assert "20" in problem
    assert "8" in problem


def test_damaged_lookup_token_is_refused_with_the_same_status(client, line_key):
    response = post(client, "/follow-up", lookup_token="not-a-token")

    assert response.status_code == 400
    assert page_of(response).has_id("error-summary")


# --- the code stays out of URLs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/follow-up", {}),
        ("/follow-up/message", {"message": WRITTEN}),
        ("/follow-up/callback/cancel", {}),
        ("/follow-up/erase", {}),
    ],
)
def test_code_never_appears_in_a_url_or_redirect(client, case, code, path, fields):
    response = post(client, path, code=code, **fields)

    assert response.status_code == 200
    assert "Location" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    page = page_of(response)
    urls = [el.attrs.get("href", "") for el in page.find_all("a")]
    urls += [el.attrs.get("action", "") for el in page.find_all("form")]
    urls += [el.attrs.get("src", "") for el in page.find_all("script")]
    for url in urls:
        assert code not in url
        assert code.replace("-", "") not in url
    # Every form that carries the code sends it in a POST body
    for form in page.find_all("form"):
        if form.find_all("input", name="code"):
            assert form.attrs.get("method") == "post"


def test_follow_up_page_ignores_a_code_in_the_query_string(client, case, code):
    response = client.get("/follow-up", query_string={"code": code})

    assert response.status_code == 200
    assert not page_of(response).has_id("status-heading")
    assert code not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/follow-up/message", "/follow-up/callback/cancel", "/follow-up/erase"]
)
def test_post_only_follow_up_routes_refuse_get(client, case, code, path):
    response = client.get(path, query_string={"code": code})

    assert response.status_code == 405


# --- writing ------------------------------------------------------------------------------------


def test_message_without_javascript_is_sealed_on_arrival(client, db_session, case, code, line_key):
    response = post(client, "/follow-up/message", code=code, message=WRITTEN)

    assert response.status_code == 200
    assert page_of(response).find_all("p", **{"class": "notice"})
    message = db_session.scalars(select(Message)).one()
    assert message.direction == Direction.FROM_REPORTER
    assert message.author_staff_id is None
    reference, slug = message.case.reference, message.case.line.slug
    assert opened("message", message.envelope, line_key.private_key, reference, line_slug=slug) == (
        WRITTEN
    )
    own_key = crypto.reporter_private_key(code)
    copy = message.reporter_copy_envelope
    assert opened("message", copy, own_key, reference, line_slug=slug, direction=COPY) == WRITTEN
    # Shown back once, in the thread, and the form is empty again.
    page = page_of(response)
    assert [el.text.strip() for el in page.find_all("p", **{"class": "body"})] == [WRITTEN]
    assert page.one("textarea", id="message").text == ""


def test_message_with_javascript_is_stored_as_the_browser_sealed_it(
    client, db_session, case, code, line_key
):
    public = crypto.public_key_from_text(line_key.line_key.public_key)
    envelope = sealed("message", WRITTEN, public, case.reference)

    response = post(
        client,
        "/follow-up/message",
        lookup_token=lookup_token_text(code),
        message_envelope=envelope,
    )

    assert response.status_code == 200
    assert db_session.scalars(select(Message.envelope)).one() == envelope


@pytest.mark.parametrize("text", ["", "   \n "], ids=["empty", "blank"])
def test_empty_message_is_refused_with_a_message(client, db_session, case, code, text):
    response = post(client, "/follow-up/message", code=code, message=text)

    assert response.status_code == 400
    page = page_of(response)
    summary = page.one(**{"class": "error-summary"})
    assert summary.inside(page.one("section", aria_labelledby="write-heading"))
    assert summary.text.strip()
    assert count(db_session, Message) == 0


@pytest.mark.parametrize(
    "recipient_key",
    [
        lambda db_session: crypto.generate_keypair().public_key(),
        other_line_key,
    ],
    ids=["an unknown key", "another line's key"],
)
def test_a_message_sealed_to_any_key_but_the_lines_is_refused(
    client, db_session, case, code, recipient_key
):
    envelope = sealed("message", WRITTEN, recipient_key(db_session))

    response = post(client, "/follow-up/message", code=code, message_envelope=envelope)

    assert response.status_code == 400
    assert count(db_session, Message) == 0


def test_a_message_that_cannot_be_sent_comes_back_as_typed(client, db_session, case, code):
    too_long = "x" * 10_001

    response = post(client, "/follow-up/message", code=code, message=too_long)

    assert response.status_code == 400
    assert page_of(response).by_id("message").value == too_long
    assert count(db_session, Message) == 0


# --- cancelling the callback --------------------------------------------------------------------


def test_cancel_callback_deletes_the_number_and_frees_the_place(
    client, db_session, app, line_key, code
):
    case = reported_case(db_session, app, code, callback=True, line_key=line_key)
    callback = db_session.scalars(select(Callback).where(Callback.case_id == case.id)).one()
    slot_start = callback.slot_start
    assert callback.contact_envelope is not None
    assert db_session.get(CallbackSlot, (case.line_id, slot_start)).booked == 1

    response = post(client, "/follow-up/callback/cancel", code=code)

    assert response.status_code == 200
    callback = db_session.scalars(select(Callback)).one()
    assert callback.status == CallbackStatus.CANCELLED
    assert callback.contact_envelope is None
    assert callback.outcome_at is not None
    assert db_session.get(CallbackSlot, (case.line_id, slot_start)).booked == 0
    page = page_of(response)
    assert not page.find_all("form", action="/follow-up/callback/cancel")


def test_rebook_moves_the_callback_and_keeps_the_sealed_number(
    client, db_session, app, line_key, code
):
    # Given a booked callback
    case = reported_case(db_session, app, code, callback=True, line_key=line_key)
    old = db_session.scalars(select(Callback).where(Callback.case_id == case.id)).one()
    old_start, envelope = old.slot_start, old.contact_envelope
    inbox = page_of(post(client, "/follow-up", code=code))
    choices = [el.value for el in inbox.find_all("input", name="slot")]
    new_value = next(value for value in choices if value != old_start.isoformat())

    # When the reporter picks another offered time
    response = post(client, "/follow-up/callback/rebook", code=code, slot=new_value)

    # Then the callback moves there with the same sealed number, and the old place is free
    assert response.status_code == 200
    callbacks = db_session.scalars(select(Callback).order_by(Callback.id)).all()
    assert [cb.status for cb in callbacks] == [CallbackStatus.CANCELLED, CallbackStatus.BOOKED]
    assert callbacks[0].contact_envelope is None
    assert callbacks[1].contact_envelope == envelope
    assert (
        callbacks[1].slot_start.isoformat()
        == datetime.fromisoformat(new_value).astimezone(callbacks[1].slot_start.tzinfo).isoformat()
    )
    assert db_session.get(CallbackSlot, (case.line_id, old_start)).booked == 0


@pytest.mark.parametrize(
    "slot",
    ["2026-11-24T10:00:00", "2026-11-24", "2026-W48-2", "9999-12-31T23:30:00+00:00", ""],
    ids=["no-offset", "bare-date", "week-date", "year-9999", "empty"],
)
def test_rebook_to_a_time_no_page_offered_is_refused_not_an_error(
    client, db_session, app, line_key, code, slot
):
    reported_case(db_session, app, code, callback=True, line_key=line_key)

    response = post(client, "/follow-up/callback/rebook", code=code, slot=slot)

    assert response.status_code in (400, 409)
    assert db_session.scalars(select(Callback)).one().status == CallbackStatus.BOOKED


def test_rebook_to_a_time_that_is_not_offered_keeps_the_old_booking(
    client, db_session, app, line_key, code
):
    case = reported_case(db_session, app, code, callback=True, line_key=line_key)
    old = db_session.scalars(select(Callback).where(Callback.case_id == case.id)).one()
    saturday = "2026-11-28T10:00:00+01:00"

    response = post(client, "/follow-up/callback/rebook", code=code, slot=saturday)

    assert response.status_code == 409
    assert page_of(response).find_all("div", **{"class": "error-summary"})
    callback = db_session.scalars(select(Callback)).one()
    assert callback.status == CallbackStatus.BOOKED
    assert callback.slot_start == old.slot_start


# --- erasing ------------------------------------------------------------------------------------


def test_erase_asks_first_and_deletes_nothing(client, db_session, case, code):
    response = post(client, "/follow-up/erase", code=code)

    assert response.status_code == 200
    page = page_of(response)
    confirm = page.one("form", action="/follow-up/erase")
    assert confirm.find_all("input", name="confirm", value="yes")
    assert count(db_session, Case) == 1


def test_erase_confirmed_deletes_the_case_and_everything_under_it(
    client, db_session, app, line_key, code, make_staff
):
    # Given a case with a callback, a message each way and notifications about it
    case = reported_case(db_session, app, code, callback=True, line_key=line_key)
    case_id, reference, line_id = case.id, case.reference, case.line_id
    slot_start = db_session.scalars(select(Callback.slot_start)).one()
    lawyer_id = make_staff().id
    add_reply(db_session, case_id, code, lawyer_id)
    post(client, "/follow-up/message", code=code, message=WRITTEN)
    for key, about in (("mine", reference), ("other", "ZZZZ-ZZZZ")):
        db_session.add(
            Notification(
                role=Role.LAWYER,
                kind="case_assigned",
                case_reference=about,
                dedupe_key=f"test:{key}",
                created_at=DEFAULT_NOW,
            )
        )
    db_session.commit()
    assert count(db_session, Message) == 2
    unknown_code = crypto.generate_case_code()
    unknown = post(client, "/follow-up", code=unknown_code)

    # When the reporter confirms
    response = post(client, "/follow-up/erase", code=code, confirm="yes")

    # Then the case and all its rows are gone, only counts remain
    assert response.status_code == 200
    assert db_session.get(Case, case_id) is None
    assert count(db_session, Message) == 0
    assert count(db_session, Callback) == 0
    assert db_session.get(CallbackSlot, (line_id, slot_start)).booked == 0
    notes = db_session.scalars(select(Notification.case_reference)).all()
    assert notes == ["ZZZZ-ZZZZ"]
    received = db_session.scalars(select(StatsDaily).where(StatsDaily.metric == "received")).all()
    assert [(row.day, row.count) for row in received] == [(date(2026, 11, 23), 1)]
    # And the code now answers like an unknown one
    again = post(client, "/follow-up", code=code)
    assert again.status_code == unknown.status_code == 400
    assert without_typed_code(again.get_data(as_text=True)) == without_typed_code(
        unknown.get_data(as_text=True)
    )
