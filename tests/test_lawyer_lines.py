"""A lawyer of several lines: their own and those given them. They work the cases, hear the
notes and hold the keys of exactly those lines; taking a line away takes all three."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from advisory.models import (
    AuditEvent,
    Case,
    CaseStatus,
    Kind,
    Line,
    Role,
    Staff,
    WrapKind,
    WrappedKey,
)
from advisory.services.assignment import pick_assignee
from advisory.services.case_actions import assign_case
from advisory.services.casework import colleagues_for
from advisory.services.line_keys import active_line_key
from advisory.services.line_membership import lawyer_line_ids
from advisory.services.line_settings import line_config
from advisory.services.staff import StaffError
from advisory.services.staff_keys import colleagues
from advisory.services.staff_lines import give_lines
from tests.conftest import DEFAULT_NOW, new_case
from tests.line_helpers import music_line_with_a_case
from tests.reporter_helpers import form_data, page_at
from tests.reporter_helpers import opened as rh_opened
from tests.test_queue import page_of, sign_in_as

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MUSIKK_CASE = "MUSK-0001"


@pytest.fixture
def musikk(db_session, line_key):
    """A second line with its key, a case and a note for its lawyers."""
    key = music_line_with_a_case(db_session, line_key.line, MUSIKK_CASE)
    db_session.commit()
    return key


def grant_row(db_session, staff: Staff, line_id: int) -> WrappedKey:
    """A grant of the line's active key to `staff` (its blob is not opened here)."""
    wrap = WrappedKey(
        line_key_id=active_line_key(db_session, line_id).id,
        kind=WrapKind.GRANT,
        staff_id=staff.id,
        blob="grant",
        created_at=DEFAULT_NOW,
    )
    db_session.add(wrap)
    db_session.flush()
    return wrap


def test_a_lawyer_given_a_second_line_works_its_cases_and_hears_its_notes(
    client, db_session, lawyer, musikk
):
    # Given a lawyer of the first line, who is given the music line too
    own_line = lawyer.line_id
    give_lines(db_session, lawyer, [own_line, musikk.line.id], now=DEFAULT_NOW)
    sign_in_as(client, db_session, lawyer)

    # When they look at their queue, their notices and the music line's case
    queue = client.get("/queue").get_data(as_text=True)
    only_musikk = client.get(f"/queue?line={musikk.line.id}").get_data(as_text=True)
    notices = client.get("/notices").get_data(as_text=True)
    case_page = client.get(f"/cases/{MUSIKK_CASE}")

    # Then the case is theirs to work, named with its line, and their own line stays theirs
    assert MUSIKK_CASE in queue
    assert "Musikk" in queue
    assert MUSIKK_CASE in only_musikk
    assert MUSIKK_CASE in notices
    assert case_page.status_code == 200
    assert lawyer_line_ids(db_session, lawyer) == [own_line, musikk.line.id]


def test_a_line_that_is_not_theirs_filters_nothing_away_and_reveals_nothing(
    client, db_session, lawyer, musikk
):
    sign_in_as(client, db_session, lawyer)

    pages = [
        client.get(f"/queue?line={line}")
        for line in (musikk.line.id, "99999999999999999999999", "x")
    ]

    assert [page.status_code for page in pages] == [200, 200, 200]
    assert not any(MUSIKK_CASE in page.get_data(as_text=True) for page in pages)
    assert client.get(f"/cases/{MUSIKK_CASE}").status_code == 404


def test_taking_a_line_away_takes_its_cases_notes_and_keys(client, db_session, lawyer, musikk):
    # Given a lawyer of both lines, holding the music line's key, with its case assigned
    own_line, musikk_line = lawyer.line_id, musikk.line.id
    give_lines(db_session, lawyer, [own_line, musikk_line], now=DEFAULT_NOW)
    own_grant = grant_row(db_session, lawyer, own_line).id
    grant_row(db_session, lawyer, musikk_line)
    case = db_session.scalars(select(Case).where(Case.reference == MUSIKK_CASE)).one()
    case.assigned_lawyer_id = lawyer.id
    case.status = CaseStatus.IN_PROGRESS

    # When the music line is taken away again
    give_lines(db_session, lawyer, [own_line], now=DEFAULT_NOW)
    assert case.assigned_lawyer_id is None
    lawyer_id = lawyer.id
    sign_in_as(client, db_session, lawyer)

    # Then its case is unassigned and out of reach, its note unheard, its key no longer held
    # (and the line's other lawyers are offered a key this lawyer never held)
    assert client.get(f"/cases/{MUSIKK_CASE}").status_code == 404
    assert MUSIKK_CASE not in client.get("/notices").get_data(as_text=True)
    held = db_session.scalars(select(WrappedKey.id).where(WrappedKey.staff_id == lawyer_id))
    assert held.all() == [own_grant]
    assert db_session.get(Line, musikk_line).rotation_advised_at == DEFAULT_NOW
    assert db_session.get(Line, own_line).rotation_advised_at is None
    unassigned = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "case.unassigned", AuditEvent.case_reference == MUSIKK_CASE
        )
    ).one()
    assert json.loads(unassigned.detail)["reason"] == "line_left"


def test_a_lawyer_whose_own_line_is_taken_moves_to_the_next(db_session, lawyer, musikk):
    give_lines(db_session, lawyer, [musikk.line.id], now=DEFAULT_NOW)

    assert lawyer.line_id == musikk.line.id
    assert lawyer_line_ids(db_session, lawyer) == [musikk.line.id]


def test_a_lawyer_keeps_at_least_one_line(db_session, lawyer, musikk):
    own_line = lawyer.line_id

    with pytest.raises(StaffError, match="at least one line"):
        give_lines(db_session, lawyer, [], now=DEFAULT_NOW)

    assert lawyer_line_ids(db_session, lawyer) == [own_line]


def test_a_new_case_of_a_line_may_go_to_a_lawyer_given_it(db_session, lawyer, musikk):
    calendar = line_config(db_session, musikk.line.id).calendar
    before = pick_assignee(db_session, line_id=musikk.line.id, now=DEFAULT_NOW, calendar=calendar)

    give_lines(db_session, lawyer, [lawyer.line_id, musikk.line.id], now=DEFAULT_NOW)
    after = pick_assignee(db_session, line_id=musikk.line.id, now=DEFAULT_NOW, calendar=calendar)

    assert before is None
    assert after == lawyer


def test_the_queue_of_several_lines_is_one_list_in_queue_order_page_by_page(
    db_session, lawyer, musikk
):
    # Given a lawyer of both lines, and open cases of both in mixed priorities and deadlines
    give_lines(db_session, lawyer, [lawyer.line_id, musikk.line.id], now=DEFAULT_NOW)
    for number in range(7):
        for line_id, prefix in ((lawyer.line_id, "MAIN"), (musikk.line.id, "MUSK")):
            db_session.add(
                new_case(
                    line_id,
                    reference=f"{prefix}-1{number:03d}",
                    priority=number % 3 + 1,
                    callback_due_at=DEFAULT_NOW + timedelta(hours=number * 5 + len(prefix)),
                )
            )
    db_session.flush()
    expected = db_session.scalars(
        select(Case.reference)
        .where(Case.status != CaseStatus.CLOSED)
        .order_by(Case.priority, Case.callback_due_at, Case.id)
    ).all()

    # When the queue is read four cases at a time
    pages = [page_of(db_session, lawyer, page=number, per_page=4) for number in (1, 2, 3, 4)]

    # Then the pages follow each other in queue order across both lines, each row its line's
    assert [row.reference for page in pages for row in page.rows] == expected
    assert pages[0].total == len(expected) == 15
    assert pages[0].line_names == {lawyer.line_id: "Test line", musikk.line.id: "Musikk"}
    assert {row.line_id for page in pages for row in page.rows} == {
        lawyer.line_id,
        musikk.line.id,
    }


# --- the phone line of each line ---------------------------------------------------------------


def test_a_call_is_recorded_on_the_line_that_was_called(client, db_session, lawyer, musikk):
    # Given a lawyer of both lines
    musikk_line, musikk_key = musikk.line.id, musikk.line_key.public_key
    give_lines(db_session, lawyer, [lawyer.line_id, musikk_line], now=DEFAULT_NOW)
    sign_in_as(client, db_session, lawyer)

    # When they open the phone page, choose the music line and save a call without JavaScript
    first = page_at(client, "/queue/phone")
    page = page_at(client, f"/queue/phone?line={musikk_line}")
    data = form_data(
        page,
        {"kind": Kind.OTHER.value, "outcome": "advice_given", "note": "Ringte om kontrakt."},
        {"line": page.input_value("line")},  # the line the page was opened for
    )
    saved = client.post("/queue/phone", data=data)

    # Then the page asked which line was called, and the case is the music line's, its note
    # sealed to that line's key
    assert first.has_id("intake-lines")
    assert page.by_id("phone-intake-form").attrs["data-line-key"] == musikk_key
    assert saved.status_code == 303
    case = db_session.scalars(select(Case).where(Case.reference != MUSIKK_CASE)).one()
    assert case.line_id == musikk_line
    note = rh_opened(
        "narrative",
        case.narrative_envelope or "",
        musikk.private_key,
        case.reference,
        line_slug="musikk",
    )
    assert note == "Ringte om kontrakt."


@pytest.mark.parametrize("named", ["other", "99999999999999999999999", "١"])
def test_a_call_on_a_line_not_theirs_is_not_found_and_not_stored(
    client, db_session, lawyer, musikk, named
):
    other = str(musikk.line.id)
    sign_in_as(client, db_session, lawyer)  # of the first line only
    data = form_data(page_at(client, "/queue/phone"), {"kind": Kind.OTHER.value}, {})
    data["line"] = other if named == "other" else named

    saved = client.post("/queue/phone", data=data)
    page = client.get(f"/queue/phone?line={data['line']}")

    assert saved.status_code == 404
    assert page.status_code == 404
    assert db_session.scalars(select(Case).where(Case.reference != MUSIKK_CASE)).all() == []


# --- who gives lines ---------------------------------------------------------------------------


def test_an_admin_gives_a_lawyer_lines_in_the_web_but_never_none(
    client, db_session, lawyer, musikk, make_staff
):
    own_line, musikk_line = lawyer.line_id, musikk.line.id
    admin = make_staff(Role.ADMIN, username="root", must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, admin)
    page = client.get("/staff/admin/staff").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    address = f"/staff/admin/staff/{lawyer.id}/lines"
    assert f'action="{address}"' in page

    both = client.post(address, data={"csrf_token": token, "line": [own_line, musikk_line]})
    none = client.post(address, data={"csrf_token": token}, follow_redirects=True)

    assert both.status_code == 302
    assert "at least one line" in none.get_data(as_text=True)
    lawyer = db_session.get(Staff, lawyer.id)
    assert lawyer_line_ids(db_session, lawyer) == [own_line, musikk_line]


def test_a_lawyer_is_given_lines_from_the_command_line(runner, db_session, lawyer, musikk):
    lawyer_id, lines = lawyer.id, [lawyer.line_id, musikk.line.id]
    db_session.commit()
    result = runner.invoke(
        args=["staff", "lines", lawyer.username, "--line", "test", "--line", "musikk"]
    )

    assert result.exit_code == 0, result.output
    assert "works on the cases of test, musikk" in result.output
    assert lawyer_line_ids(db_session, db_session.get(Staff, lawyer_id)) == lines


def test_a_deactivated_lawyer_is_given_no_lines(client, db_session, lawyer, musikk, make_staff):
    own_line, lawyer_id = lawyer.line_id, lawyer.id
    lawyer.active = False
    admin = make_staff(Role.ADMIN, username="root", must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, admin)
    token = TOKEN.search(client.get("/staff/admin/staff").get_data(as_text=True)).group(1)

    answer = client.post(
        f"/staff/admin/staff/{lawyer_id}/lines", data={"csrf_token": token, "line": [own_line]}
    )

    assert answer.status_code == 404


def test_a_case_may_be_given_to_a_colleague_who_was_given_its_line(
    db_session, lawyer, musikk, make_staff
):
    # Given a lawyer of the music line, and a lawyer of the first line given it too
    musikk_lawyer = make_staff(Role.LAWYER, username="musikk-lawyer", line_id=musikk.line.id)
    give_lines(db_session, lawyer, [lawyer.line_id, musikk.line.id], now=DEFAULT_NOW)
    case = db_session.scalars(select(Case).where(Case.reference == MUSIKK_CASE)).one()

    # When the music line's lawyer gives its case to the colleague the page offers
    offered = colleagues_for(db_session, case)
    assign_case(db_session, case, musikk_lawyer, to=lawyer, now=DEFAULT_NOW)

    # Then it is theirs
    assert lawyer in offered
    assert case.assigned_lawyer_id == lawyer.id


def test_a_colleague_is_offered_only_the_keys_of_the_lines_they_share(
    db_session, lawyer, line_key, musikk, make_staff
):
    # Given a lawyer of both lines holding both keys, and a colleague of each line holding none
    give_lines(db_session, lawyer, [lawyer.line_id, musikk.line.id], now=DEFAULT_NOW)
    for line_id in (lawyer.line_id, musikk.line.id):
        grant_row(db_session, lawyer, line_id)
    lawyer.public_key, lawyer.wrapped_private_key = "A" * 43, "wrapped"
    pair = {"wrapped_private_key": "wrapped"}
    make_staff(Role.LAWYER, username="main-lawyer", public_key="B" * 43, **pair)
    make_staff(
        Role.LAWYER,
        username="musikk-lawyer",
        line_id=musikk.line.id,
        public_key="C" * 43,
        **pair,
    )

    # When the lawyer's Colleagues page lists them
    offered = {
        colleague.staff.username: colleague.missing for colleague in colleagues(db_session, lawyer)
    }

    # Then each may be given the key of the line they share, and no other
    assert offered == {
        "main-lawyer": [line_key.line_key.key_id],
        "musikk-lawyer": [musikk.line_key.key_id],
    }
