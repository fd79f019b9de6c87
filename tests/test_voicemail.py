"""Voicemail cases: a lawyer records a message left on the line's voicemail as a case.

Under test: the case is received when the message was LEFT, so its deadline is the
calendar's from then; a day in the future, long ago or beyond any calendar (year 1, 9999) is
a form error that keeps what was typed, never a server error; the number is at rest only as
an envelope on its booked callback (never in clear, on both paths) and goes with the call; a
message recorded late is flagged to the coordinators once; and the case is announced to the
line and shown in the queue with its channel.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from advisory import triage
from advisory.models import (
    AuditEvent,
    Callback,
    CallbackSlot,
    CallbackStatus,
    Case,
    CaseStatus,
    Channel,
    ContactPreference,
    Kind,
    Notification,
    Role,
)
from advisory.services.callbacks import OVERFLOW_HORIZON
from advisory.services.case_actions import CallbackOutcome, log_callback_outcome
from advisory.services.notifications import NotificationKind
from advisory.services.phone_intake import (
    OLDEST_VOICEMAIL,
    VOICEMAIL_AUDIT_ACTION,
    Note,
    Number,
    PhoneIntakeError,
    Voicemail,
    record_voicemail,
    recorded_late,
)
from advisory.slots import slots_between
from advisory.text_limits import MAX_NARRATIVE_CHARS
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW, OSLO
from tests.reporter_helpers import (
    Page,
    count,
    form_data,
    line_public_key,
    only_case,
    page_at,
    page_of,
    pepper_of,
    settings_of,
)
from tests.reporter_helpers import opened as rh_opened
from tests.reporter_helpers import sealed as rh_sealed
from tests.test_phone_intake import TEST_LINE_SLUG, sign_in_as

# Friday 20 November 2026, 17:30 in Oslo: after closing, before the weekend.
FRIDAY_1730 = datetime(2026, 11, 20, 17, 30, tzinfo=OSLO)
# One working day of opening time later: Monday 23 November, 16:00 in Oslo.
MONDAY_1600 = datetime(2026, 11, 23, 16, 0, tzinfo=OSLO)
# DEFAULT_NOW is Monday 10:00 in Oslo: the end of the first opening hour after FRIDAY_1730.
FIRST_HOUR_OVER = DEFAULT_NOW
NUMBER = "+47 912 34 567"
CANARY_NUMBER = "+47 400 12 398"  # typed without JavaScript
CANARY_SEALED = "+47 400 98 765"  # sealed as the browser seals it


def voicemail(
    left_at: datetime = FRIDAY_1730,
    number: Number | None = None,
    token: str = "voicemail-form-token-00001",  # noqa: S107  (a form token, not a password)
    **answers,
) -> Voicemail:
    return Voicemail(
        answers=triage.Answers(**{"kind": Kind.ABUSE_OF_POWER, **answers}),
        left_at=left_at,
        number=number or Number(),
        note=Note(),
        form_token=token,
    )


def record(app, db_session, lawyer, message: Voicemail, now: datetime = DEFAULT_NOW):
    return record_voicemail(
        db_session,
        lawyer=lawyer,
        voicemail=message,
        pepper=pepper_of(app),
        now=now,
    )


def notes_of(db_session, kind: NotificationKind) -> list[Notification]:
    return list(db_session.scalars(select(Notification).where(Notification.kind == kind.value)))


def open_number(line_key, case: Case, envelope: str) -> str:
    return rh_opened(
        "contact", envelope, line_key.private_key, case.reference, line_slug=TEST_LINE_SLUG
    )


# --- the service -------------------------------------------------------------------------------


def test_a_voicemail_is_received_when_it_was_left_and_due_a_working_day_later(
    app, db_session, lawyer
):
    recorded = record(app, db_session, lawyer, voicemail())

    case = recorded.case
    assert case.channel is Channel.VOICEMAIL
    assert case.received_at == FRIDAY_1730
    assert case.callback_due_at == MONDAY_1600
    assert case.callback_due_at == settings_of(app).calendar.callback_due(FRIDAY_1730)
    assert case.status is CaseStatus.NEW
    assert case.first_response_at is None  # the message is not an answer: the callback is
    assert case.contact_preference is ContactPreference.CALLBACK
    assert case.reporter_public_key is None
    assert recorded.late is False


def test_the_deadline_skips_a_public_holiday(app, db_session, lawyer):
    # Wednesday 16 May 2029, 17:30; 17 May is Constitution Day, so Friday 18 May, 16:00.
    left = datetime(2029, 5, 16, 17, 30, tzinfo=OSLO)
    recorded_on_the_holiday = datetime(2029, 5, 17, 12, 0, tzinfo=OSLO)

    case = record(app, db_session, lawyer, voicemail(left), now=recorded_on_the_holiday).case

    assert case.callback_due_at == datetime(2029, 5, 18, 16, 0, tzinfo=OSLO)


def test_a_number_left_books_the_earliest_callback_sealed_to_the_line(
    app, db_session, lawyer, line_key
):
    recorded = record(app, db_session, lawyer, voicemail(number=Number(plaintext=f" {NUMBER} ")))

    callback = db_session.scalars(select(Callback)).one()
    assert callback.case_id == recorded.case.id
    assert callback.status is CallbackStatus.BOOKED
    assert recorded.callback_at == callback.slot_start
    assert callback.slot_start >= DEFAULT_NOW
    assert callback.contact_envelope.startswith(f"v2.{line_key.line_key.key_id}.")
    assert open_number(line_key, recorded.case, callback.contact_envelope) == NUMBER
    assert recorded.number_left is True


def test_with_no_callback_place_free_the_coordinators_hear_of_the_voicemail_not_an_inbox(
    app, db_session, lawyer
):
    settings = settings_of(app)
    length = timedelta(minutes=settings.slot_minutes)
    horizon = DEFAULT_NOW + OVERFLOW_HORIZON
    for slot in slots_between(settings.calendar, settings.roster, length, DEFAULT_NOW, horizon):
        db_session.add(
            CallbackSlot(
                line_id=lawyer.line_id,
                slot_start=slot.start,
                slot_end=slot.end,
                booked=slot.capacity,
            )
        )
    db_session.commit()

    recorded = record(app, db_session, lawyer, voicemail(number=Number(plaintext=NUMBER)))

    assert recorded.callback_at is None
    assert recorded.number_left is True
    assert count(db_session, Callback) == 0
    assert NUMBER not in dump_database(db_session.connection())
    assert len(notes_of(db_session, NotificationKind.VOICEMAIL_UNBOOKED)) == 1
    assert notes_of(db_session, NotificationKind.CALLBACK_UNBOOKED) == []
    assert recorded.case.contact_preference is ContactPreference.CALLBACK


def test_no_number_no_callback(app, db_session, lawyer):
    recorded = record(app, db_session, lawyer, voicemail())

    assert count(db_session, Callback) == 0
    assert recorded.callback_at is None
    assert recorded.number_left is False


def test_the_number_is_deleted_once_the_call_is_done(app, db_session, lawyer):
    case = record(app, db_session, lawyer, voicemail(number=Number(plaintext=NUMBER))).case
    callback = db_session.scalars(select(Callback)).one()

    log_callback_outcome(
        db_session, case, callback, lawyer, outcome=CallbackOutcome.REACHED, now=DEFAULT_NOW
    )

    assert callback.contact_envelope is None
    assert case.first_response_at == DEFAULT_NOW  # answered within the promised working day
    assert case.first_response_at <= case.callback_due_at


@pytest.mark.parametrize(
    ("left", "recorded_at", "late"),
    [
        (FRIDAY_1730, FIRST_HOUR_OVER, False),  # within the first hour of the next opening
        (FRIDAY_1730, FIRST_HOUR_OVER + timedelta(minutes=1), True),
        (FRIDAY_1730, MONDAY_1600 + timedelta(hours=1), True),  # after its deadline, too
        # Left in opening hours: an hour of opening time to record it.
        (DEFAULT_NOW, DEFAULT_NOW + timedelta(minutes=59), False),
        (DEFAULT_NOW, DEFAULT_NOW + timedelta(minutes=61), True),
    ],
)
def test_late_means_more_than_an_hour_of_opening_time_after_it_was_left(
    app, left, recorded_at, late
):
    assert recorded_late(settings_of(app).calendar, left, recorded_at) is late


def test_a_voicemail_recorded_late_is_flagged_to_the_coordinators_once(app, db_session, lawyer):
    late_moment = FIRST_HOUR_OVER + timedelta(minutes=1)
    first = record(app, db_session, lawyer, voicemail(), now=late_moment)
    again = record(app, db_session, lawyer, voicemail(), now=late_moment)  # sent twice

    [note] = notes_of(db_session, NotificationKind.VOICEMAIL_RECORDED_LATE)
    assert first.late is True
    assert again.duplicate is True
    assert note.role == Role.COORDINATOR
    assert note.staff_id is None
    assert note.case_reference == first.case.reference


def test_a_voicemail_recorded_in_time_flags_nothing(app, db_session, lawyer):
    record(app, db_session, lawyer, voicemail(), now=FIRST_HOUR_OVER)

    assert notes_of(db_session, NotificationKind.VOICEMAIL_RECORDED_LATE) == []


def test_the_line_is_told_of_the_new_case(app, db_session, lawyer):
    case = record(app, db_session, lawyer, voicemail()).case

    announced = notes_of(db_session, NotificationKind.NEW_CASE)
    assert [note.case_reference for note in announced] == [case.reference]
    # Dated when it was recorded, not when the message was left: it is news now (and mailed)
    assert announced[0].created_at.astimezone(UTC) == DEFAULT_NOW.astimezone(UTC)


@pytest.mark.parametrize(
    "left_at",
    [
        DEFAULT_NOW + timedelta(minutes=1),
        DEFAULT_NOW - OLDEST_VOICEMAIL - timedelta(minutes=1),
    ],
)
def test_the_service_refuses_a_moment_that_cannot_be_when_it_was_left(
    app, db_session, lawyer, left_at
):
    with pytest.raises(PhoneIntakeError):
        record(app, db_session, lawyer, voicemail(left_at))

    assert count(db_session, Case) == 0


def test_the_recording_is_audited_without_content(app, db_session, lawyer):
    case = record(app, db_session, lawyer, voicemail(number=Number(plaintext=NUMBER))).case

    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == VOICEMAIL_AUDIT_ACTION)
    ).one()
    assert event.actor_staff_id == lawyer.id
    assert event.case_reference == case.reference
    assert "912" not in event.detail


# --- the page ----------------------------------------------------------------------------------


def get_voicemail_page(client) -> Page:
    return page_at(client, "/queue/voicemail")


def voicemail_data(page: Page, **fields: str | None) -> dict[str, str]:
    """The form as a browser without JavaScript sends it: the page's day and time kept."""
    defaults: dict[str, str | None] = {
        "left_date": page.input_value("left_date"),
        "left_time": page.input_value("left_time"),
        "kind": Kind.DISCRIMINATION.value,
        "number_given": "no",
        "phone": "",
        "note": "",
        "encryption": "",
        "note_envelope": "",
        "contact_envelope": "",
    }
    return form_data(page, defaults, fields)


def page_sealed_number(page: Page, line_key, number: str) -> str:
    """A number as phone-intake.js seals it: bound to the line and reference the page names."""
    form = page.by_id("phone-intake-form")
    return rh_sealed(
        "contact",
        number,
        line_public_key(line_key),
        form.attrs["data-reference"],
        line_slug=form.attrs["data-line-slug"],
    )


def post_sealed_number(client, line_key, number: str):
    """The form as the enhanced page sends it with a number left: sealed, the field not sent."""
    page = get_voicemail_page(client)
    envelope = page_sealed_number(page, line_key, number)
    data = voicemail_data(
        page, number_given="yes", encryption="browser", contact_envelope=envelope, phone=None
    )
    return client.post("/queue/voicemail", data=data), envelope


def post_voicemail(client, **fields: str | None):
    data = voicemail_data(get_voicemail_page(client), **fields)
    return client.post("/queue/voicemail", data=data)


def test_the_page_starts_at_this_minute_and_asks_for_the_number(
    client, db_session, lawyer, line_key
):
    sign_in_as(client, db_session, lawyer)

    page = get_voicemail_page(client)

    assert page.input_value("left_date") == "2026-11-23"
    assert page.input_value("left_time") == "10:00"
    assert page.one("input", name="left_date").attrs["max"] == "2026-11-23"
    phone = page.one("input", name="phone")
    assert phone.attrs["inputmode"] == "tel"
    assert phone.attrs["autocomplete"] == "off"
    assert page.find_all("input", name="outcome") == []  # nothing was said yet: no outcome
    assert page.by_id("phone-intake-form").attrs["data-intake"] == "voicemail"


def test_a_voicemail_saved_without_javascript_goes_on_to_the_case(
    client, db_session, lawyer, line_key
):
    sign_in_as(client, db_session, lawyer)

    response = post_voicemail(
        client, left_date="2026-11-20", left_time="17:30", number_given="yes", phone=NUMBER
    )

    assert response.status_code == 303
    case = only_case(db_session)
    assert case.channel is Channel.VOICEMAIL
    assert case.received_at == FRIDAY_1730
    assert case.callback_due_at == MONDAY_1600
    callback = db_session.scalars(select(Callback)).one()
    assert open_number(line_key, case, callback.contact_envelope or "") == NUMBER
    with client.session_transaction() as flask_session:
        flashed = [message for _category, message in flask_session.get("_flashes", [])]
    assert any(case.reference in message for message in flashed)


def test_a_number_typed_but_said_not_left_is_not_kept(client, db_session, lawyer, line_key):
    sign_in_as(client, db_session, lawyer)

    response = post_voicemail(client, number_given="no", phone=CANARY_NUMBER)

    assert response.status_code == 303
    assert count(db_session, Callback) == 0
    assert CANARY_NUMBER not in dump_database(db_session.connection())


def test_a_browser_sealed_number_is_stored_as_sent(client, db_session, lawyer, line_key):
    sign_in_as(client, db_session, lawyer)

    response, envelope = post_sealed_number(client, line_key, NUMBER)

    assert response.status_code == 303
    assert db_session.scalars(select(Callback)).one().contact_envelope == envelope


@pytest.mark.parametrize(
    ("left_date", "left_time", "problem_on"),
    [
        ("0001-01-01", "00:00", "left_date"),  # before any calendar the line keeps
        ("9999-12-31", "23:59", "left_date"),  # the future, as far as dates go
        ("2026-11-24", "09:00", "left_date"),  # tomorrow
        ("2026-11-23", "10:01", "left_time"),  # a minute from now
        ("2026-09-01", "12:00", "left_date"),  # longer ago than a mailbox keeps a message
        ("2026-02-30", "12:00", "left_date"),  # no such day
        ("yesterday", "12:00", "left_date"),
        ("2026-11-20", "25:61", "left_time"),
        ("", "17:30", "left_date"),
        ("2026-11-20", "", "left_time"),
    ],
)
def test_a_day_and_time_that_cannot_be_are_refused_with_what_was_typed_kept(
    client, db_session, lawyer, line_key, left_date, left_time, problem_on
):
    sign_in_as(client, db_session, lawyer)

    response = post_voicemail(
        client,
        left_date=left_date,
        left_time=left_time,
        immediate_danger="yes",
        number_given="yes",
        phone=CANARY_NUMBER,
    )

    assert response.status_code == 400
    page = page_of(response)
    assert page.by_id(f"{problem_on}-error")
    assert page.input_value("left_date") == left_date
    assert page.input_value("left_time") == left_time
    assert page.checked("immediate_danger") == ["yes"]
    assert page.checked("number_given") == ["yes"]
    assert CANARY_NUMBER not in response.get_data(as_text=True)  # the number is typed again
    assert count(db_session, Case) == 0


@pytest.mark.parametrize(
    ("fields", "problem_on"),
    [
        ({"number_given": "yes", "phone": ""}, "phone"),
        ({"number_given": "yes", "phone": "call me maybe"}, "phone"),
        ({"number_given": "yes", "encryption": "browser", "contact_envelope": ""}, "phone"),
        ({"number_given": None}, "number_given"),
        ({"kind": None}, "kind"),
    ],
)
def test_a_missing_or_wrong_number_answer_is_said_beside_it(
    client, db_session, lawyer, line_key, fields, problem_on
):
    sign_in_as(client, db_session, lawyer)

    response = post_voicemail(client, **fields)

    assert response.status_code == 400
    assert page_of(response).by_id(f"{problem_on}-error")
    assert count(db_session, Case) == 0


def test_a_damaged_sealed_number_is_refused_and_nothing_stored(
    client, db_session, lawyer, line_key
):
    sign_in_as(client, db_session, lawyer)

    response = post_voicemail(
        client, number_given="yes", encryption="browser", contact_envelope="v2.garbage"
    )

    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)
    assert count(db_session, Case) == 0


def test_the_queue_shows_the_voicemail_with_its_channel(client, db_session, lawyer, line_key):
    sign_in_as(client, db_session, lawyer)
    assert post_voicemail(client).status_code == 303
    reference = only_case(db_session).reference

    queue = page_at(client, "/queue")

    [row] = [row for row in queue.find_all("tr") if reference in row.text]
    assert "Talepost" in row.text  # "Voicemail" in the staff pages' default language, bokmål


def test_coordinators_cannot_record_voicemail(client, db_session, make_staff, line_key):
    staff = make_staff(Role.COORDINATOR, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, staff)

    assert client.get("/queue/voicemail").status_code == 403
    assert count(db_session, Case) == 0


# --- the number is nowhere in clear ------------------------------------------------------------


def test_number_canaries_are_nowhere_in_the_database_or_logs(
    client, db_session, lawyer, line_key, caplog
):
    caplog.set_level(logging.DEBUG)
    sign_in_as(client, db_session, lawyer)

    typed = post_voicemail(client, number_given="yes", phone=CANARY_NUMBER)
    sealed, _envelope = post_sealed_number(client, line_key, CANARY_SEALED)

    assert typed.status_code == sealed.status_code == 303
    dump = dump_database(db_session.connection())
    numbers = {
        open_number(line_key, callback.case, callback.contact_envelope or "")
        for callback in db_session.scalars(select(Callback))
    }
    assert numbers == {CANARY_NUMBER, CANARY_SEALED}
    for canary in (CANARY_NUMBER, CANARY_SEALED):
        digits = canary.replace(" ", "")
        for text in (canary, digits):
            assert text not in dump
            assert text not in caplog.text


def test_left_at_is_stored_as_an_instant(app, db_session, lawyer):
    case = record(app, db_session, lawyer, voicemail()).case

    assert case.received_at.astimezone(UTC) == datetime(2026, 11, 20, 16, 30, tzinfo=UTC)


def test_the_longest_note_the_form_allows_is_taken(client, db_session, lawyer, line_key):
    sign_in_as(client, db_session, lawyer)

    response = post_voicemail(client, note="æ" * MAX_NARRATIVE_CHARS)

    assert response.status_code == 303  # not refused as too large before the form sees it
    assert count(db_session, Case) == 1
