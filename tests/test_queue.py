"""The lawyers' queue: which open cases, in which order, how urgent, and who may see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text

from advisory.auth import sessions
from advisory.models import (
    Callback,
    CallbackStatus,
    CaseDecline,
    CaseStatus,
    Direction,
    Line,
    Message,
    Role,
    Staff,
)
from advisory.services.queue import DeadlineState, QueueFilter, queue_page
from tests.conftest import DEFAULT_NOW, TEST_SECRETS

SECRET_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"])
# Friday 20 November 2026, 15:00 in Oslo (UTC+1): one opening hour left before the weekend.
FRIDAY_AFTERNOON = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def page_of(db_session, lawyer: Staff, **overrides):
    arguments = {
        "filter": QueueFilter.ALL,
        "status": None,
        "priority": None,
        "page": 1,
        "now": DEFAULT_NOW,
        "at_risk_opening_hours": 2,
    }
    return queue_page(db_session, lawyer=lawyer, **{**arguments, **overrides})


def references(page) -> list[str]:
    return [row.reference for row in page.rows]


@pytest.fixture
def lawyer(make_staff) -> Staff:
    return make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)


def sign_in_as(client, db_session, staff: Staff, at: datetime = DEFAULT_NOW) -> None:
    db_session.commit()  # requests end their session: only committed rows outlive them
    started = sessions.start_session(staff.id, staff.session_epoch, at, enrolling=False)
    client.set_cookie(sessions.COOKIE_NAME, sessions.encode(SECRET_KEY, started))


# --- the service -------------------------------------------------------------------------------


def test_cases_come_by_priority_then_deadline(db_session, make_case, lawyer):
    make_case(reference="P3-EARLY", priority=3, callback_due_at=DEFAULT_NOW + timedelta(hours=1))
    make_case(reference="P1-LATE", priority=1, callback_due_at=DEFAULT_NOW + timedelta(hours=9))
    make_case(reference="P1-EARLY", priority=1, callback_due_at=DEFAULT_NOW + timedelta(hours=2))
    make_case(reference="P2", priority=2, callback_due_at=DEFAULT_NOW)

    page = page_of(db_session, lawyer)

    assert references(page) == ["P1-EARLY", "P1-LATE", "P2", "P3-EARLY"]
    assert page.total == 4


@pytest.mark.parametrize("chosen", list(QueueFilter))
def test_a_case_the_lawyer_declined_is_in_no_list_and_no_count(
    db_session, make_case, make_staff, lawyer, chosen
):
    colleague = make_staff(Role.LAWYER)
    declined = make_case(reference="DECLINED")
    make_case(reference="KEPT", assigned_lawyer_id=lawyer.id)
    db_session.add(CaseDecline(case_id=declined.id, staff_id=lawyer.id, declined_at=DEFAULT_NOW))
    db_session.flush()

    mine = page_of(db_session, lawyer, filter=chosen)
    theirs = page_of(db_session, colleague, filter=QueueFilter.ALL)

    assert "DECLINED" not in references(mine)
    assert mine.total == len(references(mine))
    assert set(references(theirs)) == {"DECLINED", "KEPT"}


def test_the_queue_page_no_longer_lists_a_declined_case(client, db_session, make_case, lawyer):
    declined = make_case(reference="DECL-INED")
    db_session.add(CaseDecline(case_id=declined.id, staff_id=lawyer.id, declined_at=DEFAULT_NOW))
    sign_in_as(client, db_session, lawyer)

    response = client.get("/queue")

    assert response.status_code == 200
    assert "DECL-INED" not in response.get_data(as_text=True)


def test_closed_cases_and_other_lines_cases_are_left_out(db_session, make_case, lawyer):
    other = Line(slug="other", name="Other line", created_at=DEFAULT_NOW)
    db_session.add(other)
    db_session.flush()
    make_case(reference="OPEN")
    make_case(reference="CLOSED", status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW)
    make_case(reference="ELSEWHERE", line_id=other.id)

    page = page_of(db_session, lawyer)

    assert references(page) == ["OPEN"]
    assert page.total == 1


def test_filters_mine_unassigned_and_all(db_session, make_case, make_staff, lawyer):
    colleague = make_staff(Role.LAWYER)
    make_case(reference="MINE", assigned_lawyer_id=lawyer.id, priority=1)
    make_case(reference="THEIRS", assigned_lawyer_id=colleague.id, priority=2)
    make_case(reference="NOBODY", priority=3)

    def shown(choice: QueueFilter) -> list[str]:
        return references(page_of(db_session, lawyer, filter=choice))

    assert shown(QueueFilter.MINE) == ["MINE"]
    assert shown(QueueFilter.UNASSIGNED) == ["NOBODY"]
    assert shown(QueueFilter.ALL) == ["MINE", "THEIRS", "NOBODY"]


def test_status_and_priority_filters(db_session, make_case, lawyer):
    make_case(reference="NEW-P1", priority=1)
    make_case(reference="BUSY-P1", priority=1, status=CaseStatus.IN_PROGRESS)
    make_case(reference="BUSY-P2", priority=2, status=CaseStatus.IN_PROGRESS)

    assert references(page_of(db_session, lawyer, status=CaseStatus.IN_PROGRESS)) == [
        "BUSY-P1",
        "BUSY-P2",
    ]
    assert references(page_of(db_session, lawyer, priority=1)) == ["NEW-P1", "BUSY-P1"]
    both = page_of(db_session, lawyer, status=CaseStatus.IN_PROGRESS, priority=2)
    assert references(both) == ["BUSY-P2"]
    with pytest.raises(ValueError, match="open cases only"):
        page_of(db_session, lawyer, status=CaseStatus.CLOSED)


def test_paging_splits_the_ordered_list(db_session, make_case, lawyer):
    for hour in range(5):
        make_case(reference=f"DUE-{hour}", callback_due_at=DEFAULT_NOW + timedelta(hours=hour))

    first = page_of(db_session, lawyer, per_page=2)
    last = page_of(db_session, lawyer, per_page=2, page=3)

    assert references(first) == ["DUE-0", "DUE-1"]
    assert (first.total, first.pages, first.has_previous, first.has_next) == (5, 3, False, True)
    assert references(last) == ["DUE-4"]
    assert (last.has_previous, last.has_next) == (True, False)
    assert references(page_of(db_session, lawyer, per_page=2, page=10**30)) == ["DUE-4"]


def test_row_shows_assignee_next_booked_callback_and_unread_count(db_session, make_case, lawyer):
    case = make_case(reference="BUSY", assigned_lawyer_id=lawyer.id)
    make_case(reference="QUIET")
    slot = DEFAULT_NOW + timedelta(hours=3)
    db_session.add_all(
        [
            Callback(case_id=case.id, slot_start=slot, slot_end=slot + timedelta(minutes=15)),
            Callback(
                case_id=case.id,
                slot_start=slot - timedelta(hours=2),
                slot_end=slot - timedelta(hours=1),
                status=CallbackStatus.NO_ANSWER,
            ),
            Message(case_id=case.id, direction=Direction.FROM_REPORTER, envelope="v1.a"),
            Message(case_id=case.id, direction=Direction.FROM_REPORTER, envelope="v1.b"),
            Message(
                case_id=case.id,
                direction=Direction.FROM_REPORTER,
                envelope="v1.c",
                read_at=DEFAULT_NOW,
            ),
            Message(
                case_id=case.id,
                direction=Direction.TO_REPORTER,
                envelope="v1.d",
                author_staff_id=lawyer.id,
            ),
        ]
    )
    db_session.flush()

    busy, quiet = page_of(db_session, lawyer).rows

    assert (busy.assignee, busy.booked_slot, busy.unread) == (lawyer.username, slot, 2)
    assert (quiet.assignee, quiet.booked_slot, quiet.unread) == (None, None, 0)


def test_a_page_costs_three_queries_however_many_rows(db_session, make_case, lawyer):
    for number in range(5):
        case = make_case(reference=f"ROW-{number}")
        db_session.add(Message(case_id=case.id, direction=Direction.FROM_REPORTER, envelope="v1"))
    db_session.flush()
    engine = db_session.connection().engine
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        page = page_of(db_session, lawyer)
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    # The lawyer's lines, the page's rows, their total
    assert len(page.rows) == 5
    assert len(statements) == 3


def plan_of(db_session, statement: str, parameters) -> list[str]:
    """SQLite: "node parent detail" per EXPLAIN QUERY PLAN row; PostgreSQL: EXPLAIN's lines."""
    connection = db_session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return [f"{node} {parent} {detail}" for node, parent, _, detail in rows]
    return [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]


OPEN_CASE_INDEXES = ("ix_case_open_queue", "ix_case_open_assignee")


@pytest.mark.parametrize(
    ("choice", "priority", "index"),
    [
        (QueueFilter.ALL, None, "ix_case_open_queue"),
        (QueueFilter.ALL, 2, "ix_case_open_queue"),
        (QueueFilter.MINE, None, "ix_case_open_assignee"),
        (QueueFilter.MINE, 2, "ix_case_open_assignee"),
        (QueueFilter.UNASSIGNED, None, "ix_case_open_assignee"),
    ],
)
def test_a_page_is_read_from_the_open_case_indexes_without_sorting_every_case(
    db_session, make_case, lawyer, choice, priority, index
):
    # Given open cases, some of them the lawyer's, and a closed one (the indexes skip it)
    for number in range(6):
        make_case(priority=number % 4 + 1, assigned_lawyer_id=lawyer.id if number % 2 else None)
    make_case(status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW)
    engine = db_session.connection().engine
    sqlite = engine.dialect.name == "sqlite"
    if not sqlite:
        # Any plan is cheap on tiny tables: with table scans priced out, PostgreSQL shows
        # whether it can use the index, i.e. prove the query's "not closed" implies its WHERE.
        db_session.execute(text("SET LOCAL enable_seqscan = off"))
    statements: list[tuple[str, object]] = []

    def remember(_conn, _cursor, statement, parameters, *_args) -> None:
        statements.append((statement, parameters))

    # When a page is read
    event.listen(engine, "before_cursor_execute", remember)
    try:
        page_of(db_session, lawyer, filter=choice, priority=priority)
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    # Then both the total and the page's case ids come from an index of open cases only
    # (the first statement reads the lawyer's lines)
    count_plan, rows_plan = (plan_of(db_session, *statement) for statement in statements[1:])
    for plan in (count_plan, rows_plan):
        assert any(name in line for line in plan for name in OPEN_CASE_INDEXES), plan
    if sqlite:
        # ... on SQLite (no statistics, so its choice is fixed) from the one made for this
        # filter: the total from the index alone, the ids picked in the index's order. The
        # only sort left is the outer one, of the page's own rows.
        assert any(f"COVERING INDEX {index}" in line for line in count_plan), count_plan
        (materialised,) = [line.split()[0] for line in rows_plan if "MATERIALIZE" in line]
        picking_ids = [line for line in rows_plan if line.split()[1] == materialised]
        assert any(index in line for line in picking_ids), rows_plan
        assert not any("TEMP B-TREE" in line for line in picking_ids), rows_plan
        # Booked slot and unread count: one index lookup per row, not a scan per row.
        for per_case in ("ix_callback_case_status", "ix_message_case_unread"):
            assert any(f"COVERING INDEX {per_case}" in line for line in rows_plan), rows_plan


@pytest.mark.parametrize(
    ("due", "left", "state"),
    [
        # Friday 15:00–16:00 and Monday 09:00–10:30 in Oslo: 2 h 30 min of opening time.
        (datetime(2026, 11, 23, 9, 30, tzinfo=UTC), timedelta(hours=2, minutes=30), "ok"),
        # Exactly two opening hours (Monday 10:00 in Oslo) is already at risk.
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), timedelta(hours=2), "at_risk"),
        # Saturday: the weekend adds nothing, one opening hour is left.
        (datetime(2026, 11, 21, 12, 0, tzinfo=UTC), timedelta(hours=1), "at_risk"),
        # An hour ago: breached, nothing left.
        (datetime(2026, 11, 20, 13, 0, tzinfo=UTC), timedelta(0), "breached"),
    ],
    ids=["over-the-weekend", "exactly-at-risk", "due-on-saturday", "past"],
)
def test_time_left_is_counted_in_opening_hours(db_session, make_case, lawyer, due, left, state):
    make_case(callback_due_at=due)

    (row,) = page_of(db_session, lawyer, now=FRIDAY_AFTERNOON).rows

    assert (row.time_left, row.state) == (left, DeadlineState(state))


# --- the page ----------------------------------------------------------------------------------


def test_lawyer_sees_the_queue_with_time_left_and_no_case_content(
    client, db_session, make_case, lawyer, clock
):
    clock[0] = FRIDAY_AFTERNOON
    case = make_case(
        reference="WEEKEND",
        callback_due_at=datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        narrative_envelope="v1.sealed-narrative",
    )
    make_case(
        reference="LATE",
        priority=1,
        callback_due_at=datetime(2026, 11, 20, 13, 0, tzinfo=UTC),
        narrative_envelope="v1.another-narrative",
    )
    slot = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    db_session.add_all(
        [
            Message(case_id=case.id, direction=Direction.FROM_REPORTER, envelope="v1.message"),
            Callback(
                case_id=case.id,
                slot_start=slot,
                slot_end=slot + timedelta(minutes=15),
                contact_envelope="v1.phone-number",
            ),
        ]
    )
    sign_in_as(client, db_session, lawyer, at=FRIDAY_AFTERNOON)

    response = client.get("/queue")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert page.index("LATE") < page.index("WEEKEND")
    assert "2 t 30 min" in page  # Norwegian, the default language
    assert "oversittet" in page
    assert "2026-11-23 11:00" in page  # the booked slot, in Oslo time
    assert "<caption>" in page
    assert '<th scope="col">' in page
    assert "v1." not in page


def test_filters_and_paging_links_on_the_page(client, db_session, make_case, make_staff, lawyer):
    colleague = make_staff(Role.LAWYER)
    for number in range(51):
        make_case(reference=f"MINE-{number:02d}", assigned_lawyer_id=lawyer.id)
    make_case(reference="THEIRS", assigned_lawyer_id=colleague.id, priority=1)
    sign_in_as(client, db_session, lawyer)

    first = client.get("/queue?filter=mine").get_data(as_text=True)
    second = client.get("/queue?filter=mine&page=2").get_data(as_text=True)
    nonsense = client.get("/queue?filter=everything&status=closed&priority=9&page=x")

    assert "THEIRS" not in first
    assert "/queue?page=2&amp;filter=mine" in first
    assert "MINE-50" in second
    assert "MINE-00" not in second
    assert "THEIRS" in nonsense.get_data(as_text=True)  # unknown values mean no filter


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_are_refused(client, db_session, make_case, make_staff, role):
    make_case(reference="SECRET")
    staff = make_staff(role, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, staff)

    response = client.get("/queue")

    assert response.status_code == 403
    assert "SECRET" not in response.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/queue")

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
