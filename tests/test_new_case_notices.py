"""Notices that reach lawyers: the line hears of every new case once, whatever its channel; an
assignee hears of each assignment once; the sweeps, run again, add none of these notices."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from advisory.jobs import SWEEPS
from advisory.models import Line, Notification, Role, Staff
from advisory.scheduler import run_sweep_in
from advisory.services.notifications import (
    NotificationKind,
    announce_new_case,
    unread_count,
    unread_for,
)
from advisory.services.outbox import recipients_for
from tests import reporter_helpers
from tests.conftest import DEFAULT_NOW
from tests.reporter_helpers import STORED, get_report, only_case, page_of, report_data
from tests.test_phone_intake import call, record
from tests.test_queue import sign_in_as

NEW_CASE = NotificationKind.NEW_CASE
ASSIGNED = NotificationKind.CASE_ASSIGNED
# Monday 23 November 2026, 19:00 in Oslo: the line is closed, nobody is on duty.
MONDAY_EVENING = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)

Sent = tuple[str, int | None, Role | None, str | None]  # kind, to whom (staff or role), about


@pytest.fixture
def lawyers(make_staff, line_key) -> tuple[Staff, Staff]:
    """Two lawyers of the line web reports go to, ready to sign in."""

    def lawyer() -> Staff:
        return make_staff(
            Role.LAWYER, line_id=line_key.line.id, must_change_password=False, totp_confirmed=True
        )

    return lawyer(), lawyer()


def notices_to_lawyers(session) -> list[Sent]:
    """Every new-case and assignment notice, oldest first."""
    query = (
        select(
            Notification.kind, Notification.staff_id, Notification.role, Notification.case_reference
        )
        .where(Notification.kind.in_([NEW_CASE, ASSIGNED, NotificationKind.CASE_TAKEN]))
        .order_by(Notification.id)
    )
    return [
        (kind, staff_id, role, reference)
        for kind, staff_id, role, reference in session.execute(query)
    ]


def run_every_sweep_twice(app) -> None:
    for _ in range(2):
        for name in SWEEPS:
            run_sweep_in(app, name)


def send_report_twice(client) -> None:
    """The same report form sent twice (a double click, a reload)."""
    data = report_data(get_report(client), narrative="The conductor shouts at us.")
    for _ in range(2):
        assert client.post("/report", data=data).status_code == STORED


def test_the_assignee_and_the_line_get_their_notices_exactly_once(app, client, db_session, lawyers):
    first, second = lawyers
    first_id, second_id = first.id, second.id  # requests end the session; keep the ids
    db_session.commit()

    # A web report sent twice while the line is open: one case, given to a lawyer on duty
    send_report_twice(client)
    case = only_case(db_session)
    assert case.assigned_lawyer_id == first_id  # a full tie goes to the lowest staff id
    reference = case.reference
    assert notices_to_lawyers(db_session) == [
        (NEW_CASE, None, Role.LAWYER, reference),
        (ASSIGNED, first_id, None, reference),
    ]

    # The lawyer gives it to the colleague: the colleague is told, once
    sign_in_as(client, db_session, db_session.get(Staff, first_id))
    token = page_of(client.get(f"/cases/{reference}")).input_value("csrf_token")
    given = client.post(
        f"/cases/{reference}/assign", data={"csrf_token": token, "assignee": str(second_id)}
    )
    assert given.status_code == 302
    assert notices_to_lawyers(db_session)[2:] == [(ASSIGNED, second_id, None, reference)]

    # Sweeps run again and again, and nothing is announced twice
    before = notices_to_lawyers(db_session)
    run_every_sweep_twice(app)
    db_session.expire_all()
    assert notices_to_lawyers(db_session) == before


def test_a_report_while_the_line_is_closed_tells_the_line_only(client, db_session, lawyers, clock):
    clock[0] = MONDAY_EVENING
    db_session.commit()

    send_report_twice(client)

    case = only_case(db_session)
    assert case.assigned_lawyer_id is None
    assert notices_to_lawyers(db_session) == [(NEW_CASE, None, Role.LAWYER, case.reference)]


def test_a_phone_call_tells_the_line_and_not_the_lawyer_who_took_it(app, db_session, lawyers):
    lawyer, _ = lawyers
    phone_call = call()

    recorded = record(app, db_session, lawyer, phone_call)
    again = record(app, db_session, lawyer, phone_call)

    assert again.duplicate is True
    reference = recorded.case.reference
    assert notices_to_lawyers(db_session) == [(NEW_CASE, None, Role.LAWYER, reference)]


def test_a_case_whose_id_came_back_after_a_deletion_is_still_announced(db_session, make_case):
    # Given a case announced and then deleted (retention, erasure): SQLite may hand its id on
    first = make_case(reference="GONE-0001")
    assert announce_new_case(db_session, first, MONDAY_EVENING)
    old_id = first.id
    db_session.delete(first)
    db_session.flush()

    # When the next case takes that id
    second = make_case(reference="NEXT-0002")
    if db_session.bind.dialect.name == "sqlite":
        assert second.id == old_id  # the id really came back

    # Then it is still announced: events are keyed by reference, not by id
    assert announce_new_case(db_session, second, MONDAY_EVENING)


def test_a_new_case_reaches_the_lawyers_of_its_line_only(
    db_session, make_staff, make_case, lawyers, line_key
):
    # Given a lawyer of another line, with an e-mail address
    reporter_helpers.other_line_key(db_session)
    other_line = db_session.scalars(select(Line).where(Line.slug == "other")).one()
    stranger = make_staff(Role.LAWYER, line_id=other_line.id, email="annen@linje.example")
    ours, _ = lawyers
    ours.email = "var@linje.example"
    case = make_case()

    # When a case of our line comes in
    announce_new_case(db_session, case, DEFAULT_NOW)
    db_session.flush()

    # Then our lawyer is told, in the list and by mail; the other line's lawyer neither
    (note,) = db_session.scalars(select(Notification)).all()
    assert [n.case_reference for n in unread_for(db_session, ours)] == [case.reference]
    assert unread_for(db_session, stranger) == []
    assert unread_count(db_session, stranger) == 0
    assert recipients_for(db_session, note) == ["var@linje.example"]
