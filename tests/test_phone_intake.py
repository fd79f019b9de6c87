"""Phone intake: a lawyer records a live call as a case, with or without JavaScript.

Under test: a phone case is a full case (questionnaire, triage, the calendar's deadline, the
call as first response) that counts in the figures; it has no number and no reporter key;
the note is at rest only as an envelope on both paths (invariant 1); the same form twice is
one case; only lawyers may use it; and every form comes back with what was typed.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

import crypto
from advisory import create_app, triage
from advisory.auth import sessions
from advisory.extensions import db
from advisory.models import (
    AuditEvent,
    Callback,
    Case,
    CaseStatus,
    Channel,
    CloseOutcome,
    Field,
    Happened,
    Kind,
    Language,
    LineKey,
    ReporterRole,
    Role,
    Staff,
    StatsDaily,
)
from advisory.services.line_settings import line_config
from advisory.services.phone_intake import (
    AUDIT_ACTION,
    Note,
    PhoneCall,
    PhoneIntakeError,
    PhoneOutcome,
    opening_default,
    record_phone_call,
)
from advisory.stats import Metric, fold_cases
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW, TEST_SECRETS, base_env, unusable_staff
from tests.reporter_helpers import (
    Page,
    count,
    form_data,
    line_public_key,
    only_case,
    page_at,
    page_of,
    pepper_of,
    set_up_line_key,
    settings_of,
)
from tests.reporter_helpers import opened as rh_opened
from tests.reporter_helpers import sealed as rh_sealed

SECRET_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"])
TEST_LINE_SLUG = "test"  # the `line` fixture's: the lawyer's line, whose key seals the notes
REFERENCE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
NOTE = "Telefonnotat: the conductor shouts at the second violins; advised on the union rep."
# Friday 20 November 2026, 18:00 in Oslo (UTC+1): the line is closed for the weekend.
FRIDAY_EVENING = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
# One working day of opening time after it: Monday 23 November, 16:00 in Oslo.
MONDAY_CLOSING = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def call(
    outcome: PhoneOutcome = PhoneOutcome.ADVICE_GIVEN,
    note: Note | None = None,
    token: str = "phone-form-token-0000000001",  # noqa: S107  (a form token, not a password)
    **answers,
) -> PhoneCall:
    return PhoneCall(
        answers=triage.Answers(**{"kind": Kind.DISCRIMINATION, **answers}),
        outcome=outcome,
        note=note or Note(),
        form_token=token,
    )


def record(app, db_session, lawyer, phone_call: PhoneCall, now: datetime = DEFAULT_NOW):
    return record_phone_call(
        db_session,
        lawyer=lawyer,
        call=phone_call,
        pepper=pepper_of(app),
        now=now,
    )


def sign_in_as(client, db_session, staff: Staff, at: datetime = DEFAULT_NOW) -> None:
    db_session.commit()  # requests end their session: only committed rows outlive them
    started = sessions.start_session(staff.id, staff.session_epoch, at, enrolling=False)
    client.set_cookie(sessions.COOKIE_NAME, sessions.encode(SECRET_KEY, started))


def open_note(line_key, case: Case) -> str:
    """The case's note, opened where it belongs: its line (the test line), its reference."""
    return rh_opened(
        "narrative",
        case.narrative_envelope or "",
        line_key.private_key,
        case.reference,
        line_slug=TEST_LINE_SLUG,
    )


def page_sealed_note(page: Page, line_key, text: str) -> str:
    """A note as phone-intake.js seals it: bound to the line and reference the page names."""
    form = page.one("form", id="phone-intake-form")
    return rh_sealed(
        "narrative",
        text,
        line_public_key(line_key),
        form.attrs["data-reference"],
        line_slug=form.attrs["data-line-slug"],
    )


# --- the service -------------------------------------------------------------------------------


def test_a_call_closed_with_advice_is_a_phone_case_answered_at_once(app, db_session, lawyer):
    recorded = record(app, db_session, lawyer, call(PhoneOutcome.ADVICE_GIVEN))

    case = recorded.case
    assert recorded.duplicate is False
    assert REFERENCE.fullmatch(case.reference)
    assert case.channel is Channel.PHONE
    assert case.received_at == DEFAULT_NOW
    assert case.first_response_at == DEFAULT_NOW  # the call is the response
    assert case.status is CaseStatus.CLOSED
    assert case.close_outcome is CloseOutcome.ADVICE_GIVEN
    assert case.closed_at == DEFAULT_NOW
    assert case.retention_until == DEFAULT_NOW + timedelta(days=settings_of(app).retention_days)
    assert case.assigned_lawyer_id == lawyer.id
    assert case.line_id == lawyer.line_id


def test_a_call_that_needs_follow_up_stays_open_with_the_recording_lawyer(
    app, db_session, lawyer, make_staff, line_key
):
    # Another lawyer with fewer cases would get a web report; a call stays with who took it.
    make_staff(Role.LAWYER, line_id=line_key.line.id)

    case = record(app, db_session, lawyer, call(PhoneOutcome.FOLLOW_UP)).case

    assert case.status is CaseStatus.IN_PROGRESS
    assert case.close_outcome is None
    assert case.closed_at is None
    assert case.retention_until is None
    assert case.assigned_lawyer_id == lawyer.id
    assert case.first_response_at == DEFAULT_NOW


@pytest.mark.parametrize(
    ("outcome", "closed_as"),
    [
        (PhoneOutcome.ADVICE_GIVEN, CloseOutcome.ADVICE_GIVEN),
        (PhoneOutcome.REFERRED, CloseOutcome.REFERRED),
        (PhoneOutcome.OTHER, CloseOutcome.OTHER),
        (PhoneOutcome.FOLLOW_UP, None),
    ],
)
def test_each_outcome_closes_as_its_category_or_keeps_the_case_open(
    app, db_session, lawyer, outcome, closed_as
):
    case = record(app, db_session, lawyer, call(outcome)).case

    assert case.close_outcome is closed_as
    assert (case.status is CaseStatus.CLOSED) is (closed_as is not None)


def test_a_phone_case_has_no_number_no_reporter_key_and_no_callback(app, db_session, lawyer):
    case = record(app, db_session, lawyer, call(PhoneOutcome.FOLLOW_UP)).case

    assert case.reporter_lookup_hmac is None
    assert case.reporter_public_key is None  # so no inbox replies
    assert case.voicemail_ok is None
    assert case.sms_ok is None
    assert count(db_session, Callback) == 0
    assert not any("phone_number" in column.name for column in Case.__table__.columns)


@pytest.mark.parametrize(
    ("answers", "priority"),
    [
        ({"immediate_danger": True}, 1),
        ({"kind": Kind.GENERAL_QUESTION, "immediate_danger": True}, 1),
        ({"ongoing": True}, 2),
        ({"dismissal_or_warning": True}, 2),
        ({"happened": Happened.LAST_30_DAYS}, 2),
        ({"happened": Happened.EARLIER}, 3),
        ({}, 3),
        ({"kind": Kind.GENERAL_QUESTION, "ongoing": True}, 4),
    ],
)
def test_priority_comes_from_triage(app, db_session, lawyer, answers, priority):
    case = record(app, db_session, lawyer, call(**answers)).case

    expected = triage.priority(triage.Answers(**{"kind": Kind.DISCRIMINATION, **answers}))
    assert case.priority == priority == expected
    assert (case.internal_target_at is not None) is (priority == 1)


def test_the_questionnaire_answers_are_stored_as_given(app, db_session, lawyer):
    answers = {
        "kind": Kind.ABUSE_OF_POWER,
        "reporter_role": ReporterRole.WITNESSED,
        "ongoing": False,
        "immediate_danger": False,
        "dismissal_or_warning": True,
        "happened": Happened.LAST_YEAR,
        "field": Field.STAGE,
        "preferred_language": Language.ENGLISH,
    }

    case = record(app, db_session, lawyer, call(**answers)).case

    assert {name: getattr(case, name) for name in answers} == answers


def test_the_deadline_is_the_calendars_also_outside_opening_hours(app, db_session, lawyer):
    in_hours = record(app, db_session, lawyer, call(token="t" * 24)).case
    late = record(app, db_session, lawyer, call(token="u" * 24), now=FRIDAY_EVENING).case

    calendar = settings_of(app).calendar
    assert in_hours.callback_due_at == calendar.callback_due(DEFAULT_NOW)
    assert late.received_at == FRIDAY_EVENING
    assert late.callback_due_at == MONDAY_CLOSING == calendar.callback_due(FRIDAY_EVENING)
    assert late.first_response_at == FRIDAY_EVENING
    assert late.assigned_lawyer_id == lawyer.id  # nobody is on duty, the lawyer took it


def test_the_form_starts_with_advice_given_in_hours_and_follow_up_outside(db_session, line):
    calendar = line_config(db_session, line.id).calendar

    assert opening_default(calendar, DEFAULT_NOW) is PhoneOutcome.ADVICE_GIVEN
    assert opening_default(calendar, FRIDAY_EVENING) is PhoneOutcome.FOLLOW_UP


def test_the_same_form_sent_twice_is_one_case_and_one_audit_event(app, db_session, lawyer):
    first = record(app, db_session, lawyer, call(token="same-token-0123456789"))
    again = record(app, db_session, lawyer, call(token="same-token-0123456789"))

    assert again.duplicate is True
    assert again.case.id == first.case.id
    assert count(db_session, Case) == 1
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == AUDIT_ACTION)).all()
    assert len(events) == 1


def test_the_creation_is_audited_without_content(app, db_session, lawyer):
    case = record(
        app, db_session, lawyer, call(PhoneOutcome.REFERRED, note=Note(plaintext=NOTE))
    ).case

    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == AUDIT_ACTION)).one()
    assert event.actor_staff_id == lawyer.id
    assert event.case_reference == case.reference
    assert json.loads(event.detail) == {"outcome": "referred", "priority": 3}
    assert NOTE not in event.detail
    assert case.narrative_envelope not in event.detail


def test_a_typed_note_is_sealed_to_the_line_key_on_arrival(app, db_session, lawyer, line_key):
    case = record(app, db_session, lawyer, call(note=Note(plaintext=f"  {NOTE}\n"))).case

    assert case.narrative_envelope.startswith(f"v2.{line_key.line_key.key_id}.")
    assert open_note(line_key, case) == NOTE


def test_an_empty_note_stores_no_envelope(app, db_session, lawyer):
    case = record(app, db_session, lawyer, call(note=Note(plaintext="  \n "))).case

    assert case.narrative_envelope is None


def test_a_browser_sealed_note_is_stored_as_it_came(app, db_session, lawyer, line_key):
    envelope = rh_sealed("narrative", NOTE, line_public_key(line_key))

    case = record(app, db_session, lawyer, call(note=Note(envelope=envelope))).case

    assert case.narrative_envelope == envelope


def test_a_note_sealed_to_a_retired_key_of_the_line_is_still_accepted(
    app, db_session, lawyer, line_key
):
    old = rh_sealed("narrative", NOTE, line_public_key(line_key))
    line_key.line_key.retired_at = DEFAULT_NOW
    fresh = crypto.generate_keypair().public_key()
    db_session.add(
        LineKey(
            line_id=line_key.line.id,
            key_id=crypto.key_id_for(fresh),
            public_key=crypto.public_key_to_text(fresh),
            created_at=DEFAULT_NOW,
        )
    )
    db_session.flush()

    case = record(app, db_session, lawyer, call(note=Note(envelope=old))).case

    assert case.narrative_envelope == old


@pytest.mark.parametrize(
    ("envelope", "reason"),
    [
        ("not an envelope", "damaged"),
        ("v1.0123456789abcdef.AAAA", "damaged"),
        ("stranger", "unknown_key"),
    ],
)
def test_a_note_that_is_not_sealed_to_the_line_is_refused(
    app, db_session, lawyer, envelope, reason
):
    if envelope == "stranger":
        envelope = rh_sealed("narrative", NOTE, crypto.generate_keypair().public_key())

    with pytest.raises(PhoneIntakeError) as refused:
        record(app, db_session, lawyer, call(note=Note(envelope=envelope)))

    assert refused.value.reason == reason
    assert count(db_session, Case) == 0


def test_a_lawyer_without_a_line_or_a_line_without_a_key_cannot_record(
    app, db_session, make_staff, line
):
    homeless = make_staff(Role.LAWYER, line_id=None)
    keyless = make_staff(Role.LAWYER)  # the test line has no key

    for staff, reason in ((homeless, "no_line"), (keyless, "not_ready")):
        with pytest.raises(PhoneIntakeError) as refused:
            record(app, db_session, staff, call())
        assert refused.value.reason == reason


def test_phone_cases_count_in_the_daily_figures(app, db_session, lawyer):
    case = record(app, db_session, lawyer, call(PhoneOutcome.ADVICE_GIVEN)).case

    fold_cases(db_session, [case], settings_of(app).calendar)

    rows = db_session.scalars(select(StatsDaily).where(StatsDaily.channel == "phone")).all()
    metrics = {(row.metric, row.bucket): row.count for row in rows}
    assert metrics[(Metric.RECEIVED, 0)] == 1
    assert metrics[(Metric.ANSWERED_IN_TIME, 0)] == 1
    assert metrics[(Metric.RESPONSE_WALL_MINUTES, 0)] == 1


# --- the page ----------------------------------------------------------------------------------


def get_phone_page(client) -> Page:
    return page_at(client, "/queue/phone")


def phone_data(page: Page, **fields: str | None) -> dict[str, str]:
    """The form as a browser without JavaScript sends it: the page's defaults kept."""
    defaults: dict[str, str | None] = {
        "kind": Kind.DISCRIMINATION.value,
        "outcome": (page.checked("outcome") or [""])[0],
        "note": "",
        "encryption": "",
        "note_envelope": "",
    }
    return form_data(page, defaults, fields)


def post_call(client, **fields: str | None):
    return client.post("/queue/phone", data=phone_data(get_phone_page(client), **fields))


def test_the_page_has_the_questionnaire_the_outcome_and_no_number_field(
    client, db_session, lawyer, line_key
):
    sign_in_as(client, db_session, lawyer)

    page = get_phone_page(client)

    names = {el.attrs.get("name") for el in page.find_all("input") + page.find_all("textarea")}
    expected = {"kind", "immediate_danger", "reporter_role", "ongoing", "dismissal_or_warning"}
    assert expected | {"happened", "field", "preferred_language", "outcome"} <= names
    assert not any(re.search(r"phone|number|tel", name or "") for name in names)
    assert page.find_all("input", type="tel") == []
    assert page.checked("outcome") == [PhoneOutcome.ADVICE_GIVEN.value]
    assert page.checked("kind") == []  # what the call is about is always chosen
    form = page.by_id("phone-intake-form")
    assert form.attrs["data-line-key"] == line_key.line_key.public_key
    assert page.find_all("textarea", name="note")
    assert page.find_all("a", href="/queue")
    assert not page.has_id("closed-notice")


def test_outside_opening_hours_the_page_says_so_and_starts_with_follow_up(
    client, db_session, lawyer, line_key, clock
):
    clock[0] = FRIDAY_EVENING
    sign_in_as(client, db_session, lawyer, at=FRIDAY_EVENING)

    page = get_phone_page(client)

    assert page.has_id("closed-notice")
    assert page.checked("outcome") == [PhoneOutcome.FOLLOW_UP.value]


def test_a_call_saved_without_javascript_goes_on_to_the_case_with_a_confirmation(
    app, client, db_session, lawyer, line_key
):
    sign_in_as(client, db_session, lawyer)

    response = post_call(
        client,
        kind=Kind.SEXUAL_HARASSMENT.value,
        immediate_danger="no",
        ongoing="yes",
        field=Field.MUSIC.value,
        note=NOTE,
        outcome=PhoneOutcome.FOLLOW_UP.value,
    )

    assert response.status_code == 303
    case = only_case(db_session)
    if "queue.case_view" in app.view_functions:
        assert response.headers["Location"] == f"/cases/{case.reference}"
    else:
        assert response.headers["Location"] == "/queue"
    with client.session_transaction() as flask_session:
        flashed = [message for _category, message in flask_session.get("_flashes", [])]
    assert any(case.reference in message for message in flashed)
    assert case.channel is Channel.PHONE
    assert case.kind is Kind.SEXUAL_HARASSMENT
    assert case.ongoing is True
    assert case.priority == 2
    assert case.field is Field.MUSIC
    assert case.status is CaseStatus.IN_PROGRESS
    assert open_note(line_key, case) == NOTE


def test_a_double_submit_of_the_page_stores_one_case(client, db_session, lawyer, line_key):
    sign_in_as(client, db_session, lawyer)
    data = phone_data(get_phone_page(client), note=NOTE)

    first = client.post("/queue/phone", data=data)
    second = client.post("/queue/phone", data=data)

    assert first.status_code == second.status_code == 303
    assert count(db_session, Case) == 1


def test_a_call_without_its_kind_comes_back_with_what_was_typed(
    client, db_session, lawyer, line_key
):
    sign_in_as(client, db_session, lawyer)

    response = post_call(
        client,
        kind=None,
        immediate_danger="yes",
        reporter_role=ReporterRole.WITNESSED.value,
        preferred_language=Language.ENGLISH.value,
        note=NOTE,
        outcome=PhoneOutcome.REFERRED.value,
    )

    assert response.status_code == 400
    page = page_of(response)
    assert "error-summary" in page.html
    assert page.by_id("kind-error")
    assert page.checked("immediate_danger") == ["yes"]
    assert page.checked("reporter_role") == [ReporterRole.WITNESSED.value]
    assert page.checked("outcome") == [PhoneOutcome.REFERRED.value]
    assert page.checked("preferred_language") == [Language.ENGLISH.value]
    assert page.one("textarea", name="note").value == NOTE
    assert count(db_session, Case) == 0


def test_a_browser_sealed_note_is_stored_as_sent_and_a_stray_plaintext_ignored(
    client, db_session, lawyer, line_key
):
    sign_in_as(client, db_session, lawyer)
    page = get_phone_page(client)
    envelope = page_sealed_note(page, line_key, NOTE)

    response = client.post(
        "/queue/phone",
        data=phone_data(
            page, encryption="browser", note_envelope=envelope, note="should never be stored"
        ),
    )

    assert response.status_code == 303
    case = only_case(db_session)
    assert case.narrative_envelope == envelope
    assert open_note(line_key, case) == NOTE


def test_a_sealed_note_survives_a_page_that_comes_back_with_a_question(
    client, db_session, lawyer, line_key
):
    sign_in_as(client, db_session, lawyer)
    envelope = rh_sealed("narrative", NOTE, line_public_key(line_key))

    # Given a browser-sealed try that comes back (no kind chosen)
    response = post_call(client, kind=None, encryption="browser", note_envelope=envelope)
    assert response.status_code == 400
    page = page_of(response)

    # Then the envelope stays in the form, the page says so, and "sealed" is not echoed
    assert page.input_value("note_envelope") == envelope
    assert page.input_value("encryption") == ""
    assert page.has_id("kept-note")

    # And sending that page again without JavaScript stores the kept note
    resent = client.post(
        "/queue/phone",
        data=phone_data(page, note_envelope=page.input_value("note_envelope")),
    )
    assert resent.status_code == 303
    assert only_case(db_session).narrative_envelope == envelope


def test_a_damaged_envelope_is_refused_with_a_reason_and_nothing_stored(
    client, db_session, lawyer, line_key
):
    sign_in_as(client, db_session, lawyer)

    response = post_call(client, encryption="browser", note_envelope="v1.garbage")

    assert response.status_code == 400
    assert "error-summary" in response.get_data(as_text=True)
    assert count(db_session, Case) == 0


def test_the_form_without_its_csrf_token_is_refused(client, db_session, lawyer, line_key):
    sign_in_as(client, db_session, lawyer)

    response = post_call(client, csrf_token=None)

    assert response.status_code == 400
    assert count(db_session, Case) == 0


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_cannot_record_calls(
    client, db_session, make_staff, line_key, role
):
    staff = make_staff(role, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, staff)

    assert client.get("/queue/phone").status_code == 403
    assert client.post("/queue/phone", data={"kind": "other"}).status_code in (400, 403)
    assert count(db_session, Case) == 0


# --- invariant 1: the note is nowhere in clear ---------------------------------------------------

CANARY_NO_JS = "CANARY-PHONE-NOTE-NOJS-5e21"
CANARY_JS = "CANARY-PHONE-NOTE-JS-b7c9"


def _record_both_ways(client, line_key) -> None:
    no_js = post_call(client, note=CANARY_NO_JS)
    assert no_js.status_code == 303
    page = get_phone_page(client)
    sealed = page_sealed_note(page, line_key, CANARY_JS)
    data = phone_data(page, encryption="browser", note_envelope=sealed)
    js = client.post("/queue/phone", data=data)
    assert js.status_code == 303


def test_phone_note_canaries_are_nowhere_in_the_database_or_logs(
    client, db_session, lawyer, line_key, caplog
):
    caplog.set_level(logging.DEBUG)
    sign_in_as(client, db_session, lawyer)

    _record_both_ways(client, line_key)
    dump = dump_database(db_session.connection())

    cases = db_session.scalars(select(Case)).all()
    assert sorted(open_note(line_key, case) for case in cases) == [CANARY_JS, CANARY_NO_JS]
    for canary in (CANARY_NO_JS, CANARY_JS):
        assert canary not in dump
        assert canary not in caplog.text


def test_the_sqlite_files_hold_no_phone_note_canary(tmp_path: Path):
    # Given a real installation on SQLite with a signed-in lawyer of the line
    app = create_app(base_env(tmp_path, f"sqlite:///{tmp_path / 'file.db'}"))
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
    with app.app_context():
        upgrade()
        session = db.session()
        line_key = set_up_line_key(session)
        lawyer = unusable_staff(
            Role.LAWYER,
            username="phone-canary-lawyer",
            line_id=line_key.line.id,
            must_change_password=False,
            totp_confirmed=True,
        )
        session.add(lawyer)
        session.commit()
        started = sessions.start_session(lawyer.id, 0, DEFAULT_NOW, enrolling=False)
        assert line_key.line_key.public_key  # loaded now, readable after the session ends
    client = app.test_client()
    client.set_cookie(sessions.COOKIE_NAME, sessions.encode(SECRET_KEY, started))
    try:
        # When a call is recorded each way
        _record_both_ways(client, line_key)
    finally:
        with app.app_context():
            db.engine.dispose()  # close connections so every page is in the files

    # Then the files hold both cases but neither note in clear
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("file.db*"))
    assert raw.count(b"v2.") >= 2
    for canary in (CANARY_NO_JS, CANARY_JS):
        assert canary.encode() not in raw


def test_rather_not_say_and_no_preference_store_no_answer(client, db_session, lawyer, line_key):
    sign_in_as(client, db_session, lawyer)

    response = post_call(client, field="", preferred_language="")

    assert response.status_code == 303
    case = only_case(db_session)
    assert case.field is None
    assert case.preferred_language is None
