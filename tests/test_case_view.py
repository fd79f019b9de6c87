"""The case page: who may open it, what it shows and records, and every action on it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

import crypto
from advisory.models import (
    AuditEvent,
    Callback,
    CallbackSlot,
    CallbackStatus,
    Case,
    CaseDecline,
    CaseStatus,
    CloseOutcome,
    Direction,
    LineKey,
    Message,
    Notification,
    Role,
    Staff,
    WrapKind,
    WrappedKey,
)
from advisory.services.casework import OPENED, TrailEntry, group_openings
from advisory.services.notifications import NotificationKind
from crypto.encoding import b64url_encode
from tests import reporter_helpers as rh
from tests.canary import dump_database
from tests.conftest import DEFAULT_NOW, new_message
from tests.staff_credentials import credentials_for, give_line_key
from tests.test_queue import sign_in_as

CANARY = "Kanarifugl-7731 i saken"


@pytest.fixture(autouse=True)
def line_key(db_session, line):
    return rh.set_up_line_key(db_session)


@pytest.fixture
def lawyer(make_staff) -> Staff:
    return make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)


@pytest.fixture
def colleague(make_staff) -> Staff:
    return make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)


@pytest.fixture
def signed_in(client, db_session, lawyer):
    sign_in_as(client, db_session, lawyer)
    return client


def sealed(line_key, purpose: str, text: str) -> str:
    """To the line, as the pages seal it (a reply here is the line's copy)."""
    direction = "line-to-line" if purpose == "reply" else None
    return rh.sealed(purpose, text, rh.line_public_key(line_key), direction=direction)


def events(db_session, reference: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.case_reference == reference)
    return list(db_session.scalars(query.order_by(AuditEvent.id)))


def actions_of(db_session, reference: str) -> list[str]:
    return [event.action for event in events(db_session, reference)]


def post_action(client, case: Case, path: str, **data: str):
    """Post one of the case page's forms, with the CSRF token the page carries."""
    page = rh.page_of(client.get(f"/cases/{case.reference}"))
    return client.post(
        f"/cases/{case.reference}/{path}",
        data={"csrf_token": page.input_value("csrf_token"), **data},
    )


def booked_callback(db_session, make_case, line_key, slot: datetime) -> tuple[Case, Callback]:
    """A callback case with a sealed number booked at `slot` (its slot taken), committed."""
    case = make_case(contact_preference="callback")
    slot_end = slot + timedelta(minutes=30)
    db_session.add(CallbackSlot(line_id=case.line_id, slot_start=slot, slot_end=slot_end, booked=1))
    callback = Callback(
        case=case,
        slot_start=slot,
        slot_end=slot_end,
        contact_envelope=sealed(line_key, "contact", "+47 99 99 99 99"),
    )
    db_session.add(callback)
    db_session.commit()
    return case, callback


def fresh(db_session, case: Case) -> Case:
    db_session.expire_all()
    return db_session.get(Case, case.id)


# --- opening a case ----------------------------------------------------------------------------


def test_the_page_shows_answers_and_hands_over_only_envelopes(
    signed_in, db_session, make_case, line_key, lawyer
):
    narrative = sealed(line_key, "narrative", CANARY)
    case = make_case(narrative_envelope=narrative, ongoing=True, immediate_danger=False)
    db_session.add(
        new_message(Direction.FROM_REPORTER, sealed(line_key, "message", CANARY), case=case)
    )
    db_session.commit()

    response = signed_in.get(f"/cases/{case.reference}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("no-store")
    assert f'data-envelope="{narrative}"' in html
    assert CANARY not in html
    assert "Diskriminering" in html  # the kind, in the page's language
    message = db_session.scalars(select(Message).where(Message.case_id == case.id)).one()
    assert message.read_at == DEFAULT_NOW
    opened = events(db_session, case.reference)
    assert [(e.action, e.actor_staff_id) for e in opened] == [("case.opened", lawyer.id)]


def trail_lines(page: rh.Page) -> list[str]:
    """The audit trail as the case page lists it, one text per line."""
    trail = page.one("ol", **{"class": "trail"})
    return [" ".join(item.text.split()) for item in trail.find_all("li")]


def test_the_audit_trail_lists_who_opened_the_case_once_per_person_between_events(
    client, db_session, make_case, lawyer, colleague
):
    case = make_case()
    sign_in_as(client, db_session, colleague)
    client.get(f"/cases/{case.reference}")
    sign_in_as(client, db_session, lawyer)
    for _ in range(3):
        client.get(f"/cases/{case.reference}")
    post_action(client, case, "take")

    page = rh.page_of(client.get(f"/cases/{case.reference}"))

    assert page.by_id("trail-heading") is not None
    lines = trail_lines(page)
    # The colleague once; the lawyer's four openings (three, and the one before taking) as
    # one line; the taking; and the opening that shows this page
    assert len(lines) == 4
    assert lines[0].endswith(f"{colleague.username} åpnet saken")
    assert lawyer.username in lines[1]
    assert " 4 " in lines[1]
    assert lines[2].endswith(f"{lawyer.username} tok saken")
    assert lines[3].endswith(f"{lawyer.username} åpnet saken")
    assert len(events(db_session, case.reference)) == 7  # the log itself keeps every opening


def test_grouped_openings_keep_the_first_and_last_time():
    at = [DEFAULT_NOW + timedelta(minutes=minutes) for minutes in range(4)]
    entries = [
        TrailEntry(at[0], "kari", OPENED),
        TrailEntry(at[1], "ola", OPENED),
        TrailEntry(at[2], "kari", OPENED),
        TrailEntry(at[3], "kari", "case.taken"),
    ]

    assert group_openings(entries) == [
        TrailEntry(at[1], "ola", OPENED),
        TrailEntry(at[2], "kari", OPENED, times=2, first_at=at[0]),
        TrailEntry(at[3], "kari", "case.taken"),
    ]


def test_a_lawyer_of_another_line_gets_not_found(client, db_session, make_case, make_staff):
    from advisory.models import Line

    other_line = Line(slug="other", name="Other", created_at=DEFAULT_NOW)
    db_session.add(other_line)
    db_session.flush()
    outsider = make_staff(Role.LAWYER, line_id=other_line.id)
    case = make_case()
    sign_in_as(client, db_session, outsider)

    assert client.get(f"/cases/{case.reference}").status_code == 404
    assert actions_of(db_session, case.reference) == []


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_are_refused_case_content(
    client, db_session, make_case, make_staff, role
):
    case = make_case(narrative_envelope="v1.0000000000000000.AAAA")
    sign_in_as(client, db_session, make_staff(role))

    for response in (
        client.get(f"/cases/{case.reference}"),
        client.get("/staff/keys"),
    ):
        assert response.status_code == 403
        assert "v1.0000000000000000" not in response.get_data(as_text=True)


# --- taking, giving, declining -----------------------------------------------------------------


def test_taking_a_case_assigns_it_and_starts_work(signed_in, db_session, make_case, lawyer):
    case = make_case()
    db_session.commit()

    response = post_action(signed_in, case, "take")

    assert response.status_code == 302
    case = fresh(db_session, case)
    assert (case.assigned_lawyer_id, case.status) == (lawyer.id, CaseStatus.IN_PROGRESS)
    assert "case.taken" in actions_of(db_session, case.reference)


def test_a_case_can_be_given_to_a_colleague_on_the_line(
    signed_in, db_session, make_case, lawyer, colleague
):
    case = make_case(assigned_lawyer_id=lawyer.id)
    db_session.commit()

    post_action(signed_in, case, "assign", assignee=str(colleague.id))

    assert fresh(db_session, case).assigned_lawyer_id == colleague.id
    given = [e for e in events(db_session, case.reference) if e.action == "case.assigned"]
    assert json.loads(given[0].detail) == {"to": colleague.username}
    assert notices_of(db_session) == [(NotificationKind.CASE_ASSIGNED, colleague.id)]


def test_giving_a_colleagues_case_away_tells_them_and_oneself_needs_the_take_over(
    signed_in, db_session, make_case, make_staff, lawyer, colleague
):
    third = make_staff(Role.LAWYER, line_id=lawyer.line_id)
    case = make_case(assigned_lawyer_id=colleague.id)
    db_session.commit()

    # Giving it to oneself from the list is taking it: refused without the confirmation
    refused = post_action(signed_in, case, "assign", assignee=str(lawyer.id))

    assert refused.status_code == 409
    assert fresh(db_session, case).assigned_lawyer_id == colleague.id
    assert notices_of(db_session) == []

    # Giving it to a third lawyer: they are told, and so is the colleague who held it
    post_action(signed_in, case, "assign", assignee=str(third.id))

    assert fresh(db_session, case).assigned_lawyer_id == third.id
    assert sorted(notices_of(db_session)) == sorted(
        [(NotificationKind.CASE_ASSIGNED, third.id), (NotificationKind.CASE_TAKEN, colleague.id)]
    )


def notices_of(db_session) -> list[tuple[str, int | None]]:
    """Every notice: its kind and the staff member it is for."""
    query = select(Notification.kind, Notification.staff_id).order_by(Notification.id)
    return [(kind, staff_id) for kind, staff_id in db_session.execute(query)]


def test_taking_a_colleagues_case_asks_first_and_tells_them(
    signed_in, db_session, make_case, lawyer, colleague
):
    case = make_case(assigned_lawyer_id=colleague.id)
    db_session.commit()
    offered = rh.page_of(signed_in.get(f"/cases/{case.reference}"))
    assert offered.find_all("input", name="take-confirm", type="checkbox")

    # Pressed without ticking the box: asked to confirm, nothing changed
    unconfirmed = post_action(signed_in, case, "take")

    assert unconfirmed.status_code == 409
    assert rh.page_of(unconfirmed).find_all("p", **{"class": "field-error"})
    assert fresh(db_session, case).assigned_lawyer_id == colleague.id
    assert notices_of(db_session) == []

    # Confirmed: taken over, and the colleague told once
    holder = offered.one("input", name="take-holder").value
    assert holder == str(colleague.id)
    confirmed = post_action(signed_in, case, "take", **{"take-confirm": "y", "take-holder": holder})

    assert confirmed.status_code == 302
    assert fresh(db_session, case).assigned_lawyer_id == lawyer.id
    assert notices_of(db_session) == [(NotificationKind.CASE_TAKEN, colleague.id)]


def test_a_take_over_confirmed_for_one_colleague_does_not_take_it_from_another(
    signed_in, db_session, make_case, make_staff, lawyer, colleague
):
    # Given the page showed the case as the colleague's, and it moved to a third lawyer since
    case = make_case(assigned_lawyer_id=colleague.id)
    db_session.commit()
    offered = rh.page_of(signed_in.get(f"/cases/{case.reference}"))
    third = make_staff(Role.LAWYER)
    fresh(db_session, case).assigned_lawyer_id = third.id
    db_session.commit()

    # When the lawyer confirms the take-over they were shown
    holder = offered.one("input", name="take-holder").value
    asked = post_action(signed_in, case, "take", **{"take-confirm": "y", "take-holder": holder})

    # Then nothing moves, nobody is told, and the page asks again about the third lawyer
    assert asked.status_code == 409
    assert fresh(db_session, case).assigned_lawyer_id == third.id
    assert notices_of(db_session) == []
    page = rh.page_of(asked)
    assert page.one("input", name="take-holder").value == str(third.id)
    assert "checked" not in page.one("input", name="take-confirm").attrs
    assert page.find_all("p", **{"class": "field-error"})


@pytest.mark.parametrize("holder", ["", "x", "-1", "99999999999999999999", "1e3", "٣"])
def test_a_take_over_names_its_colleague_or_is_not_one(
    signed_in, db_session, make_case, colleague, holder
):
    case = make_case(assigned_lawyer_id=colleague.id)
    db_session.commit()

    answer = post_action(signed_in, case, "take", **{"take-confirm": "y", "take-holder": holder})

    assert answer.status_code in (400, 409)
    assert fresh(db_session, case).assigned_lawyer_id == colleague.id


def test_taking_an_unassigned_case_needs_no_confirmation_and_tells_nobody(
    signed_in, db_session, make_case, lawyer
):
    case = make_case()
    db_session.commit()
    offered = rh.page_of(signed_in.get(f"/cases/{case.reference}"))
    assert not offered.find_all("input", name="take-confirm")

    post_action(signed_in, case, "take")
    post_action(signed_in, case, "assign", assignee=str(lawyer.id))  # to oneself: taking it

    assert fresh(db_session, case).assigned_lawyer_id == lawyer.id
    assert notices_of(db_session) == []


def test_a_case_cannot_be_given_to_a_coordinator(
    signed_in, db_session, make_case, make_staff, lawyer
):
    coordinator = make_staff(Role.COORDINATOR)
    case = make_case(assigned_lawyer_id=lawyer.id)
    db_session.commit()

    response = post_action(signed_in, case, "assign", assignee=str(coordinator.id))

    assert response.status_code == 400  # not among the choices offered
    assert fresh(db_session, case).assigned_lawyer_id == lawyer.id


def test_declining_moves_the_case_on_and_closes_it_to_the_decliner(
    signed_in, db_session, make_case, lawyer, colleague
):
    # DEFAULT_NOW is Monday 10:00 in Oslo: the line is open, so colleagues are on duty.
    case = make_case(assigned_lawyer_id=lawyer.id)
    db_session.commit()

    response = post_action(signed_in, case, "decline", confirm="y")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/queue")
    assert fresh(db_session, case).assigned_lawyer_id == colleague.id
    declines = db_session.scalars(select(CaseDecline)).all()
    assert [(d.case_id, d.staff_id) for d in declines] == [(case.id, lawyer.id)]
    assert signed_in.get(f"/cases/{case.reference}").status_code == 404
    assert signed_in.post(f"/cases/{case.reference}/take").status_code in (400, 404)


def test_declining_needs_the_box_ticked(signed_in, db_session, make_case, lawyer):
    case = make_case(assigned_lawyer_id=lawyer.id)
    db_session.commit()

    response = post_action(signed_in, case, "decline")

    assert response.status_code == 400
    assert "Kryss av" in response.get_data(as_text=True)
    assert db_session.scalars(select(CaseDecline)).all() == []


def test_a_declined_lawyer_cannot_be_given_the_case_back(
    client, db_session, make_case, lawyer, colleague
):
    case = make_case(assigned_lawyer_id=colleague.id)
    db_session.add(CaseDecline(case_id=case.id, staff_id=lawyer.id, declined_at=DEFAULT_NOW))
    sign_in_as(client, db_session, colleague)

    response = post_action(client, case, "assign", assignee=str(lawyer.id))

    assert response.status_code == 400
    assert fresh(db_session, case).assigned_lawyer_id == colleague.id


# --- replies -----------------------------------------------------------------------------------


def reported(db_session, app):
    code = crypto.generate_case_code()
    return code, rh.reported_case(db_session, app, code)


def to_reporter(code: str, text: str) -> str:
    """A reply sealed in the browser to the reporter of the case with `code`."""
    return rh.sealed("reply", text, crypto.reporter_private_key(code).public_key())


def post_sealed_reply(client, case: Case, envelope: str, line_copy: str):
    """Post the reply form as the browser sends it: the envelope and the line's copy only."""
    return post_action(client, case, "reply", envelope=envelope, line_copy_envelope=line_copy)


def test_a_reply_sealed_in_the_browser_is_stored_with_its_line_copy(
    signed_in, db_session, app, line_key, lawyer
):
    code, case = reported(db_session, app)
    for_reporter = to_reporter(code, CANARY)
    line_copy = sealed(line_key, "reply", CANARY)

    response = post_sealed_reply(signed_in, case, for_reporter, line_copy)

    assert response.status_code == 302
    message = db_session.scalars(
        select(Message).where(Message.direction == Direction.TO_REPORTER)
    ).one()
    assert (message.envelope, message.line_copy_envelope) == (for_reporter, line_copy)
    case = fresh(db_session, case)
    assert case.first_response_at == DEFAULT_NOW
    assert case.status == CaseStatus.AWAITING_REPORTER
    assert "case.replied" in actions_of(db_session, case.reference)


def test_a_reply_whose_line_copy_is_not_sealed_is_refused(signed_in, db_session, app):
    code, case = reported(db_session, app)
    response = post_sealed_reply(signed_in, case, to_reporter(code, CANARY), CANARY)

    assert response.status_code == 409
    assert rh.count(db_session, Message) == 0
    assert fresh(db_session, case).first_response_at is None


def test_without_javascript_the_reply_is_sealed_on_arrival_for_both_readers(
    signed_in, db_session, app, line_key, caplog
):
    code, case = reported(db_session, app)

    post_action(signed_in, case, "reply", text=CANARY)

    message = db_session.scalars(select(Message)).one()
    reporter_key = crypto.reporter_private_key(code)
    slug, reference = case.line.slug, case.reference
    assert rh.opened("reply", message.envelope, reporter_key, reference, line_slug=slug) == CANARY
    copy = message.line_copy_envelope
    assert (
        rh.opened(
            "reply", copy, line_key.private_key, reference, line_slug=slug, direction="line-to-line"
        )
        == CANARY
    )
    # Bound to this case and direction: elsewhere, or passed off as the other copy, it fails
    with pytest.raises(crypto.DecryptionFailed):
        rh.opened("reply", message.envelope, reporter_key, "ZZZZ-ZZZZ", line_slug=slug)
    with pytest.raises(crypto.DecryptionFailed):
        rh.opened("reply", copy, line_key.private_key, reference, line_slug=slug)
    # Invariant 1: the typed reply is nowhere at rest in clear, nor in the logs
    dump = dump_database(db_session.connection())
    assert case.reference in dump  # the dump really holds the case
    assert CANARY not in dump
    assert CANARY not in caplog.text


def test_an_empty_reply_says_what_is_missing(signed_in, db_session, app):
    _, case = reported(db_session, app)

    response = post_action(signed_in, case, "reply", text="   ")

    assert response.status_code == 400
    assert "Skriv et svar" in response.get_data(as_text=True)


# --- status and closing ------------------------------------------------------------------------


def test_status_changes_are_recorded_with_before_and_after(signed_in, db_session, make_case):
    case = make_case()
    db_session.commit()

    post_action(signed_in, case, "status", status="awaiting_reporter")

    assert fresh(db_session, case).status == CaseStatus.AWAITING_REPORTER
    changed = [e for e in events(db_session, case.reference) if e.action == "case.status_changed"]
    assert json.loads(changed[0].detail) == {"from": "new", "to": "awaiting_reporter"}


def test_closing_needs_an_outcome_and_deletes_numbers(
    signed_in, db_session, make_case, app, line_key
):
    slot = DEFAULT_NOW + timedelta(hours=3)
    case, callback = booked_callback(db_session, make_case, line_key, slot)

    missing = post_action(signed_in, case, "close")
    assert missing.status_code == 400
    assert fresh(db_session, case).status == CaseStatus.NEW

    post_action(signed_in, case, "close", outcome="advice_given")

    case = fresh(db_session, case)
    days = rh.settings_of(app).retention_days
    assert (case.status, case.close_outcome) == (CaseStatus.CLOSED, CloseOutcome.ADVICE_GIVEN)
    assert case.retention_until == DEFAULT_NOW + timedelta(days=days)
    callback = db_session.get(Callback, callback.id)
    assert (callback.status, callback.contact_envelope) == (CallbackStatus.CANCELLED, None)
    assert db_session.get(CallbackSlot, (case.line_id, slot)).booked == 0


def test_nothing_can_be_done_to_a_closed_case(signed_in, db_session, make_case):
    case = make_case(status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW)
    db_session.commit()

    response = post_action(signed_in, case, "take")

    assert response.status_code == 409
    assert "Saken er avsluttet" in response.get_data(as_text=True)
    assert fresh(db_session, case).assigned_lawyer_id is None


# --- callbacks ---------------------------------------------------------------------------------


@pytest.fixture
def booked(db_session, make_case, line_key):
    return booked_callback(db_session, make_case, line_key, DEFAULT_NOW + timedelta(hours=1))


def record_outcome(client, db_session, case: Case, callback: Callback, outcome: str) -> Callback:
    """Record how the call went, as the case page's outcome form does; the callback, reloaded."""
    field = f"callback-{callback.id}-outcome"
    post_action(client, case, f"callbacks/{callback.id}/outcome", **{field: outcome})
    db_session.expire_all()
    return db_session.get(Callback, callback.id)


def test_the_number_is_handed_over_only_on_demand_and_audited(signed_in, db_session, booked):
    case, callback = booked
    envelope = callback.contact_envelope

    before = signed_in.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert envelope not in before

    response = post_action(signed_in, case, f"reveal/{callback.id}")

    assert response.status_code == 200
    assert f'data-envelope="{envelope}"' in response.get_data(as_text=True)
    assert "callback.number_revealed" in actions_of(db_session, case.reference)
    # Opened in the browser, the number becomes a link that dials it
    [number] = rh.page_of(response).find_all(data_envelope=envelope)
    assert number.attrs.get("data-link") == "tel"


def test_a_reached_callback_is_the_first_response_and_deletes_the_number(
    signed_in, db_session, booked
):
    case, callback = booked

    callback = record_outcome(signed_in, db_session, case, callback, "reached")

    assert (callback.status, callback.contact_envelope) == (CallbackStatus.REACHED, None)
    assert fresh(db_session, case).first_response_at == DEFAULT_NOW
    assert db_session.get(CallbackSlot, (case.line_id, callback.slot_start)).booked == 0


def test_no_answer_deletes_the_number_but_is_no_response(signed_in, db_session, booked):
    case, callback = booked

    callback = record_outcome(signed_in, db_session, case, callback, "no_answer")

    assert (callback.status, callback.contact_envelope) == (CallbackStatus.NO_ANSWER, None)
    assert fresh(db_session, case).first_response_at is None
    assert post_action(signed_in, case, f"reveal/{callback.id}").status_code == 409


# --- the lawyer's key material ---------------------------------------------------------------


def test_a_lawyer_gets_their_own_key_material_and_nobody_elses(
    signed_in, db_session, line_key, lawyer, colleague
):
    key = db_session.scalars(select(LineKey)).one()
    for staff, password in ((lawyer, "lawyer password"), (colleague, "colleague password")):
        give_line_key(db_session, staff, key, line_key.private_key, password)
    db_session.commit()
    key_id, lawyer_id, username = key.key_id, lawyer.id, lawyer.username

    response = signed_in.get("/staff/keys")

    assert response.headers["Cache-Control"] == "no-store"
    material = response.get_json()
    assert material["staffId"] == lawyer_id
    assert [entry["keyId"] for entry in material["grants"]] == [key_id]
    own = db_session.scalars(
        select(WrappedKey).where(
            WrappedKey.staff_id == lawyer_id, WrappedKey.kind == WrapKind.GRANT
        )
    ).one()
    assert material["grants"][0]["grant"] == own.blob
    wrap_key = credentials_for("lawyer password", username).wrap_key
    mine = crypto.unwrap_staff_private_key(material["wrappedPrivateKey"], wrap_key, lawyer_id)
    opened = crypto.open_grant(material["grants"][0]["grant"], key_id, lawyer_id, mine)
    assert crypto.key_id_for(opened.public_key()) == key_id


# --- rows stored before the checks at the door -------------------------------------------------


@pytest.mark.parametrize(
    "stored_key",
    [
        b64url_encode(b"\xff" * 32),  # not a canonical coordinate
        "A" * 43,  # the all-zero point
        "!!!!",
        "-",
    ],
)
def test_a_case_whose_stored_reply_key_is_damaged_still_opens_and_says_so(
    signed_in, db_session, make_case, stored_key
):
    case = make_case(reporter_public_key=stored_key)
    db_session.commit()

    page = signed_in.get(f"/cases/{case.reference}")
    typed = post_action(signed_in, case, "reply", text=CANARY)

    assert page.status_code == 200
    assert "reply-form" not in page.get_data(as_text=True)
    assert "lagret skadet, så et skriftlig svar" in page.get_data(as_text=True)
    assert typed.status_code == 409
    assert "lagret skadet, så et skriftlig svar" in typed.get_data(as_text=True)
    assert rh.count(db_session, Message) == 0


def test_sealed_text_stored_damaged_shows_as_unopenable_and_the_rest_works(
    signed_in, db_session, make_case, line_key
):
    case = make_case(narrative_envelope="v1.not-an-envelope")
    good = sealed(line_key, "message", CANARY)
    for envelope in ("\x7fgarbage", good):
        db_session.add(new_message(Direction.FROM_REPORTER, envelope, case=case))
    db_session.commit()

    response = signed_in.get(f"/cases/{case.reference}")

    assert response.status_code == 200
    page = rh.page_of(response)
    assert len([el for el in page.find_all("p") if "unopenable" in el.classes]) == 2
    assert [el.attrs["data-envelope"] for el in page.find_all(data_envelope=None)] == [good]
    assert post_action(signed_in, case, "take").status_code == 302


def test_a_browser_reply_must_be_sealed_to_this_cases_reporter(
    signed_in, db_session, app, line_key
):
    _, case = reported(db_session, app)
    to_someone_else = rh.sealed("reply", CANARY, crypto.generate_keypair().public_key())

    response = post_sealed_reply(
        signed_in, case, to_someone_else, sealed(line_key, "reply", CANARY)
    )

    assert response.status_code == 409
    assert rh.count(db_session, Message) == 0


def test_a_longest_reply_sealed_in_the_browser_is_accepted(signed_in, db_session, app, line_key):
    # 10 000 emoji: the most a reply can hold, and an envelope longer than 40 000 characters.
    code, case = reported(db_session, app)
    text = "\N{GRINNING FACE}" * 10_000
    response = post_sealed_reply(
        signed_in, case, to_reporter(code, text), sealed(line_key, "reply", text)
    )

    assert response.status_code == 302
    assert rh.count(db_session, Message) == 1


def test_giving_a_colleagues_case_to_oneself_points_to_the_take_over(
    signed_in, db_session, make_case, lawyer, colleague
):
    case = make_case(assigned_lawyer_id=colleague.id)
    db_session.commit()

    answer = post_action(signed_in, case, "assign", assignee=str(lawyer.id))

    assert answer.status_code == 409
    assert "Overta saken" in rh.page_of(answer).by_id("error-summary").text
    assert fresh(db_session, case).assigned_lawyer_id == colleague.id
