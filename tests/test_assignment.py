"""Assignment: the on-duty lawyer with the fewest open cases; nobody on duty → unassigned.

Every test runs on each configured database inside a rolled-back transaction.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from advisory.hours import Calendar
from advisory.models import CaseStatus, Line, Notification, Role
from advisory.services.assignment import AssignmentError, pick_assignee, reassign_after_decline
from advisory.services.notifications import NotificationKind
from tests.conftest import DEFAULT_NOW

CALENDAR = Calendar()  # Oslo, weekdays 09:00–16:00; DEFAULT_NOW is Monday 10:00
SATURDAY_NOON = DEFAULT_NOW + timedelta(days=5, hours=2)
MONDAY_EVENING = DEFAULT_NOW + timedelta(hours=9)


@pytest.fixture
def pick(db_session, line):
    def pick(*, now=DEFAULT_NOW, excluded_ids=frozenset(), line_id=None):
        return pick_assignee(
            db_session,
            line_id=line.id if line_id is None else line_id,
            now=now,
            calendar=CALENDAR,
            excluded_ids=excluded_ids,
        )

    return pick


@pytest.fixture
def give(make_case):
    """Give `lawyer` `count` cases in `status` (closed ones get their closed_at)."""

    def give(lawyer, count=1, status=CaseStatus.NEW):
        closed_at = DEFAULT_NOW if status is CaseStatus.CLOSED else None
        for _ in range(count):
            make_case(assigned_lawyer_id=lawyer.id, status=status, closed_at=closed_at)

    return give


def test_the_lawyer_with_the_fewest_open_cases_gets_the_case(pick, make_staff, give):
    busy, idle, middling = make_staff(), make_staff(), make_staff()
    give(busy, 3)
    give(idle, 1)
    give(middling, 2, CaseStatus.IN_PROGRESS)
    assert pick() == idle


@pytest.mark.parametrize(
    "status", [CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_REPORTER]
)
def test_every_status_but_closed_counts_as_open(pick, make_staff, give, status):
    loaded, free = make_staff(), make_staff()
    give(loaded, 1, status)
    assert pick() == free


def test_closed_cases_do_not_count_as_open(pick, make_staff, give):
    veteran, newcomer = make_staff(), make_staff()
    give(veteran, 5, CaseStatus.CLOSED)
    give(newcomer, 1)
    assert pick() == veteran


def test_a_lawyer_with_no_cases_at_all_is_picked(pick, make_staff, give):
    first, second = make_staff(), make_staff()
    give(first, 1)
    assert pick() == second


def test_a_tie_on_open_cases_goes_to_fewer_cases_in_total(pick, make_staff, give):
    veteran, newcomer = make_staff(), make_staff()
    give(veteran, 1)
    give(veteran, 4, CaseStatus.CLOSED)
    give(newcomer, 1)
    give(newcomer, 1, CaseStatus.CLOSED)
    assert pick() == newcomer


def test_a_full_tie_goes_to_the_lowest_staff_id_every_time(pick, make_staff, give):
    lawyers = [make_staff() for _ in range(3)]
    for lawyer in lawyers:
        give(lawyer, 2)
    first = min(lawyers, key=lambda lawyer: lawyer.id)
    assert [pick() for _ in range(3)] == [first] * 3


def test_picks_spread_cases_evenly_as_they_are_assigned(pick, make_staff, make_case):
    lawyers = [make_staff() for _ in range(3)]
    picked = []
    for _ in range(6):
        lawyer = pick()
        make_case(assigned_lawyer_id=lawyer.id)
        picked.append(lawyer)
    assert picked == sorted(lawyers, key=lambda lawyer: lawyer.id) * 2


@pytest.mark.parametrize(
    "who",
    [
        pytest.param({"active": False}, id="inactive-lawyer"),
        pytest.param({"role": Role.COORDINATOR}, id="coordinator"),
        pytest.param({"role": Role.ADMIN}, id="admin"),
        pytest.param({"line_id": None}, id="lawyer-without-line"),
    ],
)
def test_only_active_lawyers_of_the_line_are_on_duty(pick, make_staff, give, line, who):
    # Given someone idle of this line who is not on duty, and an on-duty lawyer with open cases
    make_staff(**{"line_id": line.id, **who})
    lawyer = make_staff()
    give(lawyer, 3)
    # When a case arrives, Then the on-duty lawyer gets it
    assert pick() == lawyer


def test_a_lawyer_of_another_line_is_never_picked(db_session, pick, make_staff, give, line):
    other = Line(slug="other", name="Other line", created_at=DEFAULT_NOW)
    db_session.add(other)
    db_session.flush()
    elsewhere = make_staff(line_id=other.id)
    ours = make_staff()
    give(ours, 3)
    assert pick() == ours
    assert pick(line_id=other.id) == elsewhere


def test_nobody_on_duty_leaves_the_case_unassigned(pick, make_staff):
    make_staff(active=False)
    make_staff(role=Role.COORDINATOR)
    assert pick() is None


@pytest.mark.parametrize("now", [MONDAY_EVENING, SATURDAY_NOON], ids=["evening", "weekend"])
def test_outside_opening_hours_the_case_stays_unassigned(pick, make_staff, now):
    make_staff()
    assert not CALENDAR.is_open(now)
    assert pick(now=now) is None


def test_an_excluded_lawyer_is_skipped(pick, make_staff, give):
    idle, busy = make_staff(), make_staff()
    give(busy, 2)
    assert pick(excluded_ids={idle.id}) == busy


def test_with_everyone_excluded_the_case_stays_unassigned(pick, make_staff):
    lawyers = [make_staff() for _ in range(2)]
    assert pick(excluded_ids={lawyer.id for lawyer in lawyers}) is None


# --- declining ---------------------------------------------------------------------------------


def test_a_declined_case_moves_to_the_next_lawyer(db_session, make_staff, make_case, give):
    # Given the least busy lawyer holds the case
    declining, next_up, busiest = make_staff(), make_staff(), make_staff()
    give(next_up, 1)
    give(busiest, 3)
    case = make_case(assigned_lawyer_id=declining.id)
    # When they decline it
    new = reassign_after_decline(db_session, case, declining, DEFAULT_NOW, CALENDAR)
    # Then the next least busy lawyer has it, and is told once
    assert new == next_up
    assert case.assigned_lawyer_id == next_up.id
    assert assignment_notices(db_session) == [(next_up.id, case.reference)]


def assignment_notices(db_session) -> list[tuple[int | None, str | None]]:
    query = select(Notification.staff_id, Notification.case_reference).where(
        Notification.kind == NotificationKind.CASE_ASSIGNED
    )
    return [(staff_id, reference) for staff_id, reference in db_session.execute(query)]


def test_earlier_decliners_do_not_get_the_case_back(db_session, make_staff, make_case, give):
    first, second, last = make_staff(), make_staff(), make_staff()
    give(last, 4)
    case = make_case(assigned_lawyer_id=second.id)
    new = reassign_after_decline(
        db_session, case, second, DEFAULT_NOW, CALENDAR, excluded_ids={first.id}
    )
    assert new == last


def test_with_nobody_left_a_declined_case_becomes_unassigned(db_session, make_staff, make_case):
    only = make_staff()
    case = make_case(assigned_lawyer_id=only.id)
    assert reassign_after_decline(db_session, case, only, DEFAULT_NOW, CALENDAR) is None
    assert case.assigned_lawyer_id is None
    assert assignment_notices(db_session) == []  # nobody to tell


def test_a_case_declined_after_hours_becomes_unassigned(db_session, make_staff, make_case):
    declining, _other = make_staff(), make_staff()
    case = make_case(assigned_lawyer_id=declining.id)
    assert reassign_after_decline(db_session, case, declining, MONDAY_EVENING, CALENDAR) is None
    assert case.assigned_lawyer_id is None


def test_an_unassigned_case_can_be_declined(db_session, make_staff, make_case):
    declining, other = make_staff(), make_staff()
    case = make_case()
    assert reassign_after_decline(db_session, case, declining, DEFAULT_NOW, CALENDAR) == other


def test_only_the_assignee_can_decline_an_assigned_case(db_session, make_staff, make_case):
    holder, bystander = make_staff(), make_staff()
    case = make_case(assigned_lawyer_id=holder.id)
    with pytest.raises(AssignmentError, match="someone else"):
        reassign_after_decline(db_session, case, bystander, DEFAULT_NOW, CALENDAR)
    assert case.assigned_lawyer_id == holder.id


def test_a_closed_case_cannot_be_declined(db_session, make_staff, make_case):
    holder, _other = make_staff(), make_staff()
    case = make_case(assigned_lawyer_id=holder.id, status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW)
    with pytest.raises(AssignmentError, match="closed"):
        reassign_after_decline(db_session, case, holder, DEFAULT_NOW, CALENDAR)
