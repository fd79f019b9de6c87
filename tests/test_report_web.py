"""The report form over HTTP: questionnaire, no-JS and JS submissions, callbacks, validation.

Invariants under test: free text and phone numbers arrive at rest only as envelopes (1), the
case code is never stored (1, DESIGN "Cryptography"), envelopes from the browser are stored as
they came (3), deadlines come from the calendar (4), and a code is shown only for a stored case,
once per form (5).
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import crypto
from advisory import triage
from advisory.models import (
    Callback,
    CallbackSlot,
    CallbackStatus,
    Case,
    CaseStatus,
    ContactPreference,
    Field,
    Happened,
    Kind,
    Language,
    Line,
    Notification,
    ReporterRole,
)
from advisory.services import sealing
from advisory.services.callbacks import OVERFLOW_HORIZON, free_slots
from advisory.services.intake import Contact, ReporterKeys, submit_case
from advisory.services.line_keys import initialise_line
from advisory.slots import slots_between
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW, OSLO
from tests.reporter_helpers import (
    NARRATIVE,
    PHONE,
    STORED,
    browser_fields,
    case_code_on,
    count,
    get_report,
    offered_slots,
    only_case,
    opened,
    other_line_key,
    page_of,
    pepper_of,
    post_report,
    report_data,
    slot_label,
)
from tests.reporter_helpers import sealed as rh_sealed

# Monday 10:00 Oslo: one working day later is Tuesday 10:00.
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=OSLO)
MONDAY_22 = datetime(2026, 11, 23, 22, 0, tzinfo=OSLO)


def test_report_form_builds_without_deprecation_warnings(client, line_key):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert client.get("/report").status_code == 200


# --- the page ----------------------------------------------------------------------------------

QUESTIONS = {
    "kind": [member.value for member in Kind],
    "reporter_role": [member.value for member in ReporterRole],
    "immediate_danger": ["yes", "no"],
    "ongoing": ["yes", "no", "unsure"],
    "dismissal_or_warning": ["yes", "no"],
    "happened": [member.value for member in Happened],
    "contact_preference": [member.value for member in ContactPreference],
    "voicemail_ok": ["yes", "no"],
    "sms_ok": ["yes", "no"],
}


def test_report_page_asks_every_question_of_the_questionnaire(client, line_key):
    page = get_report(client)

    for name, values in QUESTIONS.items():
        radios = page.find_all("input", name=name, type="radio")
        assert sorted(radio.value for radio in radios) == sorted(values), name
        assert page.by_id(name).find_all("legend"), f"{name} has no question text"
    assert [o.value for o in page.by_id("field").find_all("option")] == ["", *Field]
    languages = {o.value for o in page.by_id("preferred_language").find_all("option")}
    assert languages == {"", *Language}
    for name in ("field", "preferred_language", "narrative", "phone"):
        assert page.find_all("label", **{"for": name}), f"{name} has no label"
    assert page.by_id("narrative").tag == "textarea"
    assert page.checked("slot") == ["any"]
    # The form names the line key the browser seals to.
    form = page.by_id("report-form")
    assert form.attrs["data-line-key"] == line_key.line_key.public_key
    assert form.attrs["data-line-key-id"] == line_key.line_key.key_id


def test_report_page_is_not_cached_and_not_autocompleted(client, line_key):
    response = client.get("/report")
    page = page_of(response)

    assert response.headers["Cache-Control"] == "no-store"
    assert page.by_id("narrative").attrs["autocomplete"] == "off"
    assert page.by_id("phone").attrs["autocomplete"] == "off"


@pytest.mark.parametrize(
    "now",
    [
        DEFAULT_NOW,  # Monday 10:00: the rest of Monday
        datetime(2026, 11, 27, 15, 40, tzinfo=OSLO),  # Friday just before closing: Monday
        MONDAY_22,  # at night: Tuesday morning
    ],
    ids=["monday-morning", "friday-closing", "night"],
)
def test_offered_callback_times_are_free_slots_inside_opening_hours_before_the_deadline(
    client, line_key, settings, clock, now
):
    clock[0] = now.astimezone(UTC)
    due = settings.calendar.callback_due(now)
    length = timedelta(minutes=settings.slot_minutes)

    page = get_report(client)
    offered = offered_slots(page)

    assert 1 <= len(offered) <= 6
    starts = [datetime.fromisoformat(el.value) for el in offered]
    assert starts == sorted(starts)
    for start, element in zip(starts, offered, strict=True):
        assert start >= now + timedelta(minutes=15)
        assert start + length <= due
        assert settings.calendar.opening_time_between(start, start + length) == length
        label = slot_label(page, element)
        assert label != element.value  # formatted for people, not ISO
        assert start.astimezone(OSLO).strftime("%H:%M") in label


# --- the no-JS path ----------------------------------------------------------------------------


def test_no_js_report_is_stored_sealed_and_answered_with_a_case_code(
    client, db_session, app, line_key, settings
):
    response = post_report(
        client, kind=Kind.SEXUAL_HARASSMENT.value, ongoing="yes", narrative=NARRATIVE
    )

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # the code must not linger
    code = case_code_on(page_of(response))
    assert crypto.normalise_case_code(code) == code
    case = only_case(db_session)
    assert case.priority == triage.priority(
        triage.Answers(kind=Kind.SEXUAL_HARASSMENT, ongoing=True)
    )
    assert case.callback_due_at == settings.calendar.callback_due(DEFAULT_NOW) == TUESDAY_10
    slug, reference = case.line.slug, case.reference
    assert (
        opened(
            "narrative", case.narrative_envelope, line_key.private_key, reference, line_slug=slug
        )
        == NARRATIVE
    )
    assert case.reporter_lookup_hmac == crypto.lookup_hmac(
        pepper_of(app), crypto.lookup_token(code)
    )
    public = crypto.reporter_private_key(code).public_key()
    assert case.reporter_public_key == crypto.public_key_to_text(public)

    dump = dump_database(db_session.connection())
    assert case.reference in dump  # the dump really holds the case
    for secret in (code, code.replace("-", ""), NARRATIVE):
        assert secret not in dump


def test_the_receipt_offers_no_language_switch_that_would_lose_the_code(client, line_key):
    assert get_report(client).find_all("button", name="language")  # the form has them

    receipt = page_of(post_report(client, narrative=NARRATIVE))

    case_code_on(receipt)
    assert receipt.find_all("form", action="/language") == []
    assert receipt.find_all("button", name="language") == []
    assert receipt.find_all("a", href="https://www.yr.no/")  # quick exit stays


@pytest.mark.parametrize(
    ("contact", "says"),
    [
        ({}, "Open the secure inbox with your case code to read the answer."),
        (
            {"contact_preference": ContactPreference.CALLBACK.value, "phone": PHONE},
            "We will call you at Monday 23 November, 10:00.",
        ),
    ],
)
def test_receipt_says_when_to_expect_contact_and_how(client, db_session, line_key, contact, says):
    token = get_report(client).input_value("csrf_token")
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/report"})

    response = post_report(client, **contact)

    assert response.status_code == 200
    what_next = " ".join(
        page_of(response).one("section", aria_labelledby="next-heading").text.split()
    )
    assert "A lawyer will contact you before Tuesday 24 November, 10:00." in what_next
    assert says in what_next
    assert "Go to the secure inbox" in what_next


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"immediate_danger": "yes", "kind": Kind.GENERAL_QUESTION.value}, triage.P1),
        ({"ongoing": "yes"}, triage.P2),
        ({"dismissal_or_warning": "yes"}, triage.P2),
        ({"happened": Happened.LAST_30_DAYS.value}, triage.P2),
        ({"happened": Happened.EARLIER.value, "ongoing": "no"}, triage.P3),
        ({"ongoing": "unsure"}, triage.P3),
        ({"kind": Kind.GENERAL_QUESTION.value, "ongoing": "yes"}, triage.P4),
    ],
)
def test_stored_priority_follows_triage(client, db_session, line_key, answers, expected):
    assert post_report(client, **answers).status_code == 200
    assert only_case(db_session).priority == expected


def test_structured_answers_are_stored_as_given(client, db_session, line_key):
    post_report(
        client,
        kind=Kind.ABUSE_OF_POWER.value,
        reporter_role=ReporterRole.WITNESSED.value,
        ongoing="no",
        dismissal_or_warning="yes",
        happened=Happened.LAST_YEAR.value,
        field=Field.STAGE.value,
        preferred_language=Language.ENGLISH.value,
    )

    case = only_case(db_session)
    assert (case.kind, case.reporter_role, case.field) == (
        Kind.ABUSE_OF_POWER,
        ReporterRole.WITNESSED,
        Field.STAGE,
    )
    assert (case.ongoing, case.dismissal_or_warning, case.immediate_danger) == (False, True, None)
    assert (case.happened, case.preferred_language) == (Happened.LAST_YEAR, Language.ENGLISH)
    assert case.narrative_envelope is None


# --- callbacks ---------------------------------------------------------------------------------


def test_callback_in_a_chosen_slot_is_booked_with_the_number_sealed(client, db_session, line_key):
    page = get_report(client)
    chosen = offered_slots(page)[2]
    data = report_data(
        page,
        contact_preference=ContactPreference.CALLBACK.value,
        phone=PHONE,
        slot=chosen.value,
        voicemail_ok="no",
        sms_ok="yes",
    )

    response = client.post("/report", data=data, follow_redirects=True)

    assert response.status_code == 200
    case = only_case(db_session)
    callback = db_session.scalars(select(Callback)).one()
    assert callback.case_id == case.id
    assert callback.status == CallbackStatus.BOOKED
    assert callback.slot_start == datetime.fromisoformat(chosen.value)
    number = opened(
        "contact",
        callback.contact_envelope,
        line_key.private_key,
        case.reference,
        line_slug=case.line.slug,
    )
    assert number == PHONE
    assert (case.voicemail_ok, case.sms_ok) == (False, True)
    assert slot_label(page, chosen) in " ".join(response.get_data(as_text=True).split())
    assert PHONE not in dump_database(db_session.connection())


def test_callback_at_any_time_takes_the_earliest_free_slot(client, db_session, line_key, settings):
    # Given the slot that starts now is full
    full = DEFAULT_NOW
    capacity = settings.roster.capacity_at(full.astimezone(OSLO))
    length = timedelta(minutes=settings.slot_minutes)
    line_id = line_key.line.id
    db_session.add(
        CallbackSlot(line_id=line_id, slot_start=full, slot_end=full + length, booked=capacity)
    )
    db_session.commit()
    earliest = free_slots(
        db_session, settings, line_id=line_id, after=DEFAULT_NOW, until=TUESDAY_10, limit=1
    )[0]
    assert earliest.start == full + length

    # When a callback is asked for at any time
    response = post_report(
        client, contact_preference=ContactPreference.CALLBACK.value, phone=PHONE, slot="any"
    )

    # Then the earliest free slot is booked and the receipt says when
    assert response.status_code == 200
    callback = db_session.scalars(select(Callback)).one()
    assert callback.slot_start == earliest.start
    assert callback.slot_start < TUESDAY_10
    assert earliest.start.astimezone(OSLO).strftime("%H:%M") in response.get_data(as_text=True)


def test_when_every_callback_place_is_taken_the_report_is_stored_for_the_inbox(
    client, db_session, line_key, settings
):
    # Given every callback place of the booking horizon is taken
    length = timedelta(minutes=settings.slot_minutes)
    horizon = DEFAULT_NOW + OVERFLOW_HORIZON
    for slot in slots_between(settings.calendar, settings.roster, length, DEFAULT_NOW, horizon):
        db_session.add(
            CallbackSlot(
                line_id=line_key.line.id,
                slot_start=slot.start,
                slot_end=slot.end,
                booked=slot.capacity,
            )
        )
    db_session.commit()

    # When a callback is asked for
    response = post_report(
        client,
        contact_preference=ContactPreference.CALLBACK.value,
        phone=PHONE,
        narrative=NARRATIVE,
    )

    # Then the report is stored, without the number, to be answered in the inbox; the page
    # says so, with the case code, and the coordinator is told
    assert response.status_code == 200
    case = only_case(db_session)
    assert case.contact_preference == ContactPreference.INBOX
    assert count(db_session, Callback) == 0
    page = page_of(response)
    assert case_code_on(page)
    assert "ingen ledig tid" in " ".join(
        page.one("section", aria_labelledby="next-heading").text.split()
    )
    warned = db_session.scalars(
        select(Notification).where(Notification.kind == "callback_unbooked")
    ).one()
    assert (warned.kind, warned.role, warned.case_reference) == (
        "callback_unbooked",
        "coordinator",
        case.reference,
    )


@pytest.mark.parametrize(
    "slot",
    ["2026-11-23T03:00:00+01:00", "2026-11-23T10:10:00+01:00", "2026-11-20T10:00:00+01:00"],
    ids=["closed", "not-a-slot-start", "past"],
)
def test_a_time_that_was_not_offered_cannot_be_booked(client, db_session, line_key, slot):
    response = post_report(
        client, contact_preference=ContactPreference.CALLBACK.value, phone=PHONE, slot=slot
    )

    assert response.status_code == 400
    assert page_of(response).has_id("error-summary")
    assert count(db_session, Case) == 0
    assert count(db_session, Callback) == 0


def test_inbox_choice_books_no_callback(client, db_session, line_key):
    response = post_report(client, contact_preference=ContactPreference.INBOX.value, phone=PHONE)

    assert response.status_code == 200
    assert only_case(db_session).contact_preference == ContactPreference.INBOX
    assert count(db_session, Callback) == 0
    assert PHONE not in dump_database(db_session.connection())


# --- the JS path -------------------------------------------------------------------------------


def test_js_report_stores_the_browser_envelopes_verbatim_and_shows_no_server_code(
    client, db_session, app, line_key, settings
):
    code = crypto.generate_case_code()
    sealed = browser_fields(line_key, code, narrative=NARRATIVE, phone=PHONE)
    page = get_report(client)
    data = report_data(page, contact_preference=ContactPreference.CALLBACK.value, **sealed)

    response = client.post("/report", data=data, follow_redirects=True)

    assert response.status_code == 200
    case = only_case(db_session)
    assert case.narrative_envelope == sealed["narrative_envelope"]
    callback = db_session.scalars(select(Callback)).one()
    assert callback.contact_envelope == sealed["contact_envelope"]
    assert case.reporter_lookup_hmac == crypto.lookup_hmac(
        pepper_of(app), crypto.lookup_token(code)
    )
    assert case.reporter_public_key == sealed["reporter_public_key"]
    # The code slot holds the placeholder the browser replaces; no code came from the server.
    placeholder = case_code_on(page_of(response))
    with pytest.raises(crypto.InvalidCaseCode):
        crypto.normalise_case_code(placeholder)
    html = response.get_data(as_text=True)
    server_code = sealing.code_for_submission(settings.secrets.data_key, data["submission_token"])
    for secret in (code, server_code):
        assert secret not in html


@pytest.mark.parametrize("field_name", ["narrative_envelope", "contact_envelope"])
def test_envelope_sealed_to_an_unknown_key_is_refused_and_nothing_stored(
    client, db_session, line_key, field_name
):
    code = crypto.generate_case_code()
    sealed = browser_fields(line_key, code, narrative=NARRATIVE, phone=PHONE)
    purpose = field_name.removesuffix("_envelope")
    stranger = crypto.generate_keypair().public_key()
    sealed[field_name] = crypto.seal(purpose, "x", stranger)

    response = post_report(client, contact_preference=ContactPreference.CALLBACK.value, **sealed)

    assert response.status_code == 400
    messages = [
        item.text.strip() for item in page_of(response).by_id("error-summary").find_all("li")
    ]
    assert messages
    assert all(messages)
    assert count(db_session, Case) == 0
    assert count(db_session, Callback) == 0


@pytest.mark.parametrize(
    "envelope",
    ["not an envelope", "v1.0123456789abcdef.AAAA", "v2.0123456789abcdef.AAAA"],
)
def test_malformed_envelope_is_refused_and_nothing_stored(client, db_session, line_key, envelope):
    sealed = browser_fields(line_key, crypto.generate_case_code())
    sealed["narrative_envelope"] = envelope

    response = post_report(client, **sealed)

    assert response.status_code == 400
    assert page_of(response).find_all(id="error-summary")
    assert count(db_session, Case) == 0


def test_refusals_of_the_intake_service_are_read_in_the_reporters_language(
    app, client, db_session, line_key
):
    sealed = browser_fields(line_key, crypto.generate_case_code())
    stranger = crypto.generate_keypair().public_key()
    sealed["narrative_envelope"] = rh_sealed("narrative", "x", stranger)

    response = post_report(client, **sealed)  # the default language: bokmål

    assert response.status_code == 400
    summary = page_of(response).by_id("error-summary").find_all("li")
    messages = [item.text.strip() for item in summary]
    assert "Siden brukte en gammel nøkkel. Last den inn på nytt og send igjen." in messages


def test_js_report_without_lookup_token_is_refused(client, db_session, line_key):
    sealed = browser_fields(line_key, crypto.generate_case_code(), narrative=NARRATIVE)
    sealed["lookup_token"] = ""

    response = post_report(client, **sealed)

    assert response.status_code == 400
    assert count(db_session, Case) == 0


def test_a_page_sealed_before_a_key_rotation_is_still_taken(client, db_session, line_key):
    # Given a page loaded, and a report sealed on it, before the line key was rotated
    code = crypto.generate_case_code()
    line_id = line_key.line.id
    page = get_report(client)
    sealed = browser_fields(line_key, code, narrative=NARRATIVE, phone=PHONE)
    initialise_line(db_session, now=DEFAULT_NOW, force=True, iterations=1000)
    db_session.commit()

    # When it is sent
    response = client.post(
        "/report",
        data=report_data(page, contact_preference=ContactPreference.CALLBACK.value, **sealed),
    )

    # Then it is stored as sent, in the line of the key it was sealed to
    assert response.status_code == STORED
    case = only_case(db_session)
    assert case.narrative_envelope == sealed["narrative_envelope"]
    assert case.line_id == line_id


def test_envelopes_sealed_to_keys_of_two_lines_are_refused(client, db_session, line_key):
    other_key = other_line_key(db_session)
    sealed = browser_fields(line_key, crypto.generate_case_code(), narrative=NARRATIVE)
    sealed["contact_envelope"] = crypto.seal("contact", PHONE, other_key)

    response = post_report(client, contact_preference=ContactPreference.CALLBACK.value, **sealed)

    assert response.status_code == 400
    assert page_of(response).find_all(id="error-summary")
    assert count(db_session, Case) == 0


def test_a_browser_report_is_one_insert_and_its_notice_once_its_key_is_known(
    client, db_session, line_key, clock
):
    # Given a line whose key has been seen by an earlier report, at night (nobody to assign)
    clock[0] = MONDAY_22.astimezone(UTC)
    post_report(client, **browser_fields(line_key, crypto.generate_case_code(), narrative="a"))
    page = get_report(client)
    sealed = browser_fields(line_key, crypto.generate_case_code(), narrative=NARRATIVE)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(" ".join(statement.split()).upper())

    engine = db_session.get_bind().engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        # When the next report arrives
        response = client.post("/report", data=report_data(page, **sealed))
    finally:
        event.remove(engine, "before_cursor_execute", record)

    # Then storing it took one INSERT and no look-up of a key, a pre-check or a savepoint,
    # the lawyers' notice one more, which a lost race leaves as it was, and its receipt link;
    # the one read is the line's settings (its languages and calendar)
    assert response.status_code == STORED
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 1
    assert " FROM LINE " in reads[0]
    writes = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "SELECT"))]
    assert len(writes) == 3
    assert writes[0].startswith('INSERT INTO "CASE"')
    assert writes[1].startswith("INSERT INTO NOTIFICATION")
    assert writes[2].startswith("INSERT INTO RECEIPT_LINK")
    assert count(db_session, Case) == 2


def test_the_stored_case_reads_as_if_loaded_from_the_database(app, db_session, line_key):
    # Given a case just taken in by the service (inserted, not yet committed)
    code = crypto.generate_case_code()
    submission = submit_case(
        db_session,
        line_id=line_key.line.id,
        pepper=pepper_of(app),
        submission_token="a-token-of-twenty-characters",
        answers=triage.Answers(kind=Kind.OTHER),
        narrative_envelope=None,
        reporter=ReporterKeys(crypto.lookup_token(code), "k" * 43),
        contact=Contact(ContactPreference.INBOX),
        now=DEFAULT_NOW,
    )
    case = submission.case

    # Then it is the session's one object for that row, with every column readable
    assert not submission.duplicate
    assert db_session.get(Case, case.id) is case
    assert case.status == CaseStatus.NEW
    # columns the INSERT left out are read back when asked for
    assert (case.closed_at, case.first_response_at, case.breached_at) == (None, None, None)
    assert case.callback_due_at == TUESDAY_10
    assert db_session.scalars(select(Case.reference)).one() == case.reference


def test_the_case_gets_the_reference_its_form_named(client, db_session, line_key):
    page = get_report(client)
    named = page.one("form", id="report-form").attrs["data-reference"]

    response = client.post(
        "/report", data=report_data(page, narrative=NARRATIVE), follow_redirects=True
    )

    assert response.status_code == 200
    assert only_case(db_session).reference == named


def test_a_named_reference_already_taken_is_refused_and_nothing_is_stored(
    client, db_session, line_key, monkeypatch
):
    # Given a stored case, and a form that names that case's reference (a 40-bit clash)
    post_report(client)
    taken = only_case(db_session).reference
    monkeypatch.setattr(sealing, "reference_for_form", lambda pepper, token: taken)

    # When another report arrives on it
    page = get_report(client)
    response = client.post(
        "/report", data=report_data(page, narrative=NARRATIVE), follow_redirects=True
    )

    # Then it is refused with a message (what it sealed is bound to that reference), and
    # the form comes back naming another reference
    assert response.status_code == 400
    assert count(db_session, Case) == 1
    fresh = page_of(response).input_value("submission_token")
    assert fresh not in ("", page.input_value("submission_token"))


# --- double submit ------------------------------------------------------------------------------


def test_the_same_form_sent_twice_is_one_case_with_the_same_code(client, db_session, line_key):
    data = report_data(get_report(client), narrative=NARRATIVE)

    first = client.post("/report", data=data, follow_redirects=True)
    second = client.post("/report", data=data, follow_redirects=True)

    assert (first.status_code, second.status_code) == (200, 200)
    assert case_code_on(page_of(first)) == case_code_on(page_of(second))
    assert count(db_session, Case) == 1


@pytest.mark.parametrize(("later", "shown_again"), [(9, True), (11, False), (60 * 24, False)])
def test_the_code_is_shown_again_only_minutes_after_the_form_was_first_sent(
    client, db_session, line_key, clock, later, shown_again
):
    # Given a report sent without JavaScript, its code shown
    data = report_data(get_report(client), narrative=NARRATIVE)
    code = case_code_on(page_of(client.post("/report", data=data, follow_redirects=True)))

    # When the same form is sent again some minutes later (a reload, a shared browser)
    clock[0] = DEFAULT_NOW + timedelta(minutes=later)
    again = client.post("/report", data=data, follow_redirects=True)

    # Then it is still one case; the code comes back only within the first minutes
    html = again.get_data(as_text=True)
    assert again.status_code == 200
    assert count(db_session, Case) == 1
    assert (code in html) is shown_again
    assert bool(page_of(again).find_all(data_case_code=None)) is shown_again
    assert ("Vi har allerede denne henvendelsen" in html) is not shown_again


def test_a_callback_form_sent_twice_shows_the_same_booked_time_both_times(
    client, db_session, line_key
):
    data = report_data(
        get_report(client), contact_preference=ContactPreference.CALLBACK.value, phone=PHONE
    )

    first = client.post("/report", data=data, follow_redirects=True)
    second = client.post("/report", data=data, follow_redirects=True)

    assert (first.status_code, second.status_code) == (200, 200)
    booked = db_session.scalars(select(Callback)).one()
    assert booked.status == CallbackStatus.BOOKED
    assert count(db_session, Case) == 1
    what_next = [
        " ".join(page_of(r).one("section", aria_labelledby="next-heading").text.split())
        for r in (first, second)
    ]
    assert what_next[0] == what_next[1]
    assert booked.slot_start.astimezone(OSLO).strftime("%H:%M") in what_next[0]


# --- validation ---------------------------------------------------------------------------------


def test_missing_kind_comes_back_with_everything_typed_except_the_phone(
    client, db_session, line_key
):
    page = get_report(client)
    chosen = offered_slots(page)[1]
    data = report_data(
        page,
        kind=None,
        ongoing="yes",
        happened=Happened.LAST_YEAR.value,
        reporter_role=ReporterRole.EXPERIENCED.value,
        field=Field.MUSIC.value,
        preferred_language=Language.ENGLISH.value,
        narrative=NARRATIVE,
        contact_preference=ContactPreference.CALLBACK.value,
        phone=PHONE,
        slot=chosen.value,
        voicemail_ok="yes",
    )

    response = client.post("/report", data=data, follow_redirects=True)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    again = page_of(response)
    # The summary comes first and links to the field, which is marked
    assert html.index('id="error-summary"') < html.index('id="report-form"')
    assert again.by_id("error-summary").find_all("a", href="#kind")
    kind = again.by_id("kind")
    assert "has-error" in kind.classes
    assert "kind-error" in kind.attrs.get("aria-describedby", "").split()
    assert again.has_id("kind-error")
    # Everything typed is kept, except the phone number
    assert again.by_id("narrative").value == NARRATIVE
    assert again.checked("ongoing") == ["yes"]
    assert again.checked("happened") == [Happened.LAST_YEAR.value]
    assert again.checked("reporter_role") == [ReporterRole.EXPERIENCED.value]
    assert again.checked("contact_preference") == [ContactPreference.CALLBACK.value]
    assert again.checked("voicemail_ok") == ["yes"]
    assert again.checked("slot") == [chosen.value]
    assert again.selected("field") == [Field.MUSIC.value]
    assert again.selected("preferred_language") == [Language.ENGLISH.value]
    assert again.by_id("phone").value == ""
    assert PHONE not in html
    # The same form token, so sending it again still makes one case
    assert again.input_value("submission_token") == data["submission_token"]
    assert count(db_session, Case) == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("kind", "gossip"),
        ("reporter_role", "bystander"),
        ("ongoing", "maybe"),
        ("field", "sports"),
        ("preferred_language", "klingon"),
        ("contact_preference", "pigeon"),
        ("voicemail_ok", "sometimes"),
    ],
)
def test_a_value_that_is_not_one_of_the_choices_is_refused(
    client, db_session, line_key, name, value
):
    response = post_report(client, **{name: value})

    assert response.status_code == 400
    summary = page_of(response).by_id("error-summary")
    assert any(f"#{name}" in link.attrs.get("href", "") for link in summary.find_all("a"))
    assert count(db_session, Case) == 0


@pytest.mark.parametrize(
    "phone",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("call me", id="words"),
        pytest.param("12345", id="too-short"),
        pytest.param("+47 912 34 567 ext. 1", id="extension"),
        pytest.param("+47 912 34 567 890 123 45", id="too-long"),
    ],
)
def test_callback_needs_a_phone_number_that_looks_like_one(client, db_session, line_key, phone):
    response = post_report(client, contact_preference=ContactPreference.CALLBACK.value, phone=phone)

    assert response.status_code == 400
    page = page_of(response)
    assert page.has_id("phone-error")
    assert page.by_id("error-summary").find_all("a", href="#phone")
    assert "has-error" in page.by_id("phone").parent.classes
    assert count(db_session, Case) == 0


@pytest.mark.parametrize(("length", "status"), [(20_000, 200), (20_001, 400)])
def test_narrative_is_limited_to_20000_characters(client, db_session, line_key, length, status):
    response = post_report(client, narrative="a" * length)

    assert response.status_code == status
    assert page_of(response).has_id("narrative-error") is (status == 400)
    assert count(db_session, Case) == (1 if status == 200 else 0)


def test_report_without_csrf_token_is_refused(client, db_session, line_key):
    response = post_report(client, csrf_token=None, narrative=NARRATIVE)

    assert response.status_code == 400
    assert count(db_session, Case) == 0


# --- immediate danger --------------------------------------------------------------------------


def test_danger_question_carries_the_emergency_numbers(client, line_key):
    page = get_report(client)

    block = page.by_id("emergency-numbers")
    assert block.inside(page.by_id("immediate_danger"))
    assert {a.attrs["href"] for a in block.find_all("a")} == {"tel:112", "tel:113", "tel:110"}


def test_immediate_danger_is_priority_1_with_an_internal_target_and_numbers_on_the_receipt(
    client, db_session, line_key, settings
):
    response = post_report(client, immediate_danger="yes", kind=Kind.OTHER.value)

    assert response.status_code == 200
    [emergency] = [el for el in page_of(response).find_all("div") if "emergency" in el.classes]
    for number in ("112", "113", "110"):
        assert number in emergency.text
    case = only_case(db_session)
    assert case.priority == triage.P1
    target = timedelta(hours=settings.p1_target_opening_hours)
    assert case.internal_target_at == settings.calendar.add_opening_time(DEFAULT_NOW, target)
    assert case.internal_target_at == datetime(2026, 11, 23, 12, 0, tzinfo=OSLO)


def test_no_danger_means_no_emergency_block_and_no_internal_target(client, db_session, line_key):
    response = post_report(client, immediate_danger="no")

    assert not [el for el in page_of(response).find_all("div") if "emergency" in el.classes]
    assert only_case(db_session).internal_target_at is None


# --- assignment --------------------------------------------------------------------------------


def test_a_lawyer_of_the_line_is_assigned_during_opening_hours(
    client, db_session, line_key, make_staff
):
    lawyer_id = make_staff(line_id=line_key.line.id).id
    db_session.commit()

    post_report(client)

    assert only_case(db_session).assigned_lawyer_id == lawyer_id


def test_a_lawyer_of_another_line_is_not_assigned(client, db_session, line_key, make_staff):
    other = Line(slug="other", name="Other line", created_at=DEFAULT_NOW)
    db_session.add(other)
    db_session.flush()
    make_staff(line_id=other.id)
    db_session.commit()

    post_report(client)

    assert only_case(db_session).assigned_lawyer_id is None


def test_nobody_is_assigned_at_night(client, db_session, line_key, make_staff, clock):
    make_staff(line_id=line_key.line.id)
    db_session.commit()
    clock[0] = MONDAY_22.astimezone(UTC)

    post_report(client)

    case = only_case(db_session)
    assert case.assigned_lawyer_id is None
    assert case.callback_due_at == datetime(2026, 11, 24, 16, 0, tzinfo=OSLO)


# --- the line key for browsers ------------------------------------------------------------------


def test_line_key_api_gives_the_active_public_key(client, line_key):
    response = client.get("/api/v1/line-key")

    assert response.status_code == 200
    assert response.json == {
        "key_id": line_key.line_key.key_id,
        "public_key": crypto.public_key_to_text(line_key.private_key.public_key()),
    }
    public = crypto.public_key_from_text(response.json["public_key"])
    assert crypto.key_id_for(public) == response.json["key_id"]


def test_no_case_code_is_shown_when_the_commit_fails(client, db_session, line_key, monkeypatch):
    # Given a database that refuses to commit the report
    def refuse(self) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk full"))

    page = get_report(client)
    monkeypatch.setattr(Session, "commit", refuse)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        response = client.post(
            "/report", data=report_data(page, narrative="lost?"), follow_redirects=True
        )
    finally:
        client.application.config["PROPAGATE_EXCEPTIONS"] = None

    # Then the reporter sees an error, never a case code for a case that was not stored
    assert response.status_code == 500
    assert "data-case-code" not in response.get_data(as_text=True)
