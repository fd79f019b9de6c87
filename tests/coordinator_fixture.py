"""The hand-made fixture of the coordinator tests (test_coordinator_figures.py, _pages.py).

Runs on SQLite and on PostgreSQL (when configured) with the same fixture and the same
expected numbers, so both databases give the same figures.

Now is Monday 23 November 2026, 10:00 in Oslo (09:00 UTC). The line is open Monday to Friday
09:00-16:00. The period is 2-23 November (four weeks, starting on Mondays 2, 9, 16 and 23).

| case | channel | kind              | received (Oslo) | due           | first response | status   |
| ---- | ------- | ----------------- | --------------- | ------------- | -------------- | -------- |
| A    | web     | discrimination    | Tue 10 10:00    | Wed 11 10:00  | Tue 10 13:30   | open     |
| B    | web     | sexual harassment | Thu 12 15:00    | Fri 13 15:00  | Mon 16 11:00   | open     |
| C    | web     | abuse of power    | Mon 16 09:30    | Tue 17 09:30  | never          | closed   |
| D    | phone   | other             | Wed 18 11:00    | Thu 19 11:00  | Wed 18 14:00   | open     |
| E    | web     | general question  | Fri 20 18:00    | Mon 23 16:00  | Mon 23 09:30   | open     |
| F    | web     | discrimination    | Fri 20 11:00    | Mon 23 11:00  | not yet        | open     |
| G    | web     | sexual harassment | Thu 19 09:00    | Fri 20 09:00  | not yet        | open     |
| H    | web     | discrimination    | Mon 2 10:00     | Tue 3 10:00   | Mon 2 11:00    | deleted  |
| X    | web     | discrimination    | 20 Oct 10:00    | 21 Oct 10:00  | 20 Oct 12:00   | open     |

(Days of November unless said otherwise.)

B is answered after its deadline; C is never answered; D is a phone case (its callback at
12:00 got no answer, the one at 14:00 reached the caller); E came in on a Friday evening, so
its deadline crosses the weekend: 63.5 clock hours but half an opening hour to its answer.
H was deleted (retention) and lives on only in the daily and monthly rollup (its role and
field in the monthly one). X is outside the period. Role and field: A and H experienced,
music; B witnessed, stage; D experienced, film and TV; the others did not say.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import delete

from advisory.models import (
    Callback,
    CallbackSlot,
    CallbackStatus,
    Case,
    CaseStatus,
    Channel,
    CloseOutcome,
    ContactPreference,
    Field,
    Kind,
    Notification,
    ReporterRole,
    Role,
)
from advisory.services.figures import Period
from advisory.services.sample_cases import case_columns
from advisory.stats import fold_cases
from bench.postgres import postgres_schema as schema_in
from tests.conftest import OSLO, POSTGRES_URL

PERIOD = Period(date(2026, 11, 2), date(2026, 11, 23))


def oslo(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=OSLO)


@contextmanager
def postgres_schema(name: str) -> Iterator[str]:
    """A URL of the PostgreSQL test database that works in an empty schema of its own, which
    is dropped afterwards (for tests that build a database from the migrations)."""
    with schema_in(sa.make_url(POSTGRES_URL), name) as url:
        yield url


@pytest.fixture
def fixture_cases(db_session, line, make_case, make_staff, settings):
    first = make_staff(Role.LAWYER, username="lawyer-one")
    second = make_staff(Role.LAWYER, username="lawyer-two")
    make_staff(Role.LAWYER, username="lawyer-idle")
    calendar = settings.calendar

    def case(reference, channel, kind, received, response, status, lawyer=None, **extra):
        columns = case_columns(
            calendar,
            reference=reference,
            line_id=line.id,
            received_at=received,
            channel=channel,
            kind=kind,
            narrative_envelope=f"v1.testkey0000000.ENVELOPE-OF-{reference}",
            first_response_at=response,
            status=status,
            assigned_lawyer_id=lawyer.id if lawyer else None,
            **extra,
        )
        return make_case(**columns)

    web, phone = Channel.WEB, Channel.PHONE
    experienced, witnessed = ReporterRole.EXPERIENCED, ReporterRole.WITNESSED
    cases = {
        "A": case("CASE-000A", web, Kind.DISCRIMINATION, oslo(10, 10), oslo(10, 13, 30),
                  CaseStatus.IN_PROGRESS, first, reporter_role=experienced, field=Field.MUSIC),
        "B": case("CASE-000B", web, Kind.SEXUAL_HARASSMENT, oslo(12, 15), oslo(16, 11),
                  CaseStatus.AWAITING_REPORTER, first, reporter_role=witnessed,
                  field=Field.STAGE),
        "C": case("CASE-000C", web, Kind.ABUSE_OF_POWER, oslo(16, 9, 30), None,
                  CaseStatus.CLOSED, closed_at=oslo(16, 12),
                  close_outcome=CloseOutcome.WITHDRAWN),
        "D": case("CASE-000D", phone, Kind.OTHER, oslo(18, 11), oslo(18, 14),
                  CaseStatus.IN_PROGRESS, second, reporter_role=experienced,
                  field=Field.FILM_TV, contact_preference=ContactPreference.CALLBACK),
        "E": case("CASE-000E", web, Kind.GENERAL_QUESTION, oslo(20, 18), oslo(23, 9, 30),
                  CaseStatus.IN_PROGRESS, second),
        "F": case("CASE-000F", web, Kind.DISCRIMINATION, oslo(20, 11), None, CaseStatus.NEW),
        "G": case("CASE-000G", web, Kind.SEXUAL_HARASSMENT, oslo(19, 9), None,
                  CaseStatus.NEW, first),
        "H": case("CASE-000H", web, Kind.DISCRIMINATION, oslo(2, 10), oslo(2, 11),
                  CaseStatus.CLOSED, closed_at=oslo(2, 12),
                  close_outcome=CloseOutcome.ADVICE_GIVEN, reporter_role=experienced,
                  field=Field.MUSIC),
        "X": case("CASE-000X", web, Kind.DISCRIMINATION, oslo(20, 10, month=10),
                  oslo(20, 12, month=10), CaseStatus.IN_PROGRESS, second),
    }  # fmt: skip
    for start, status in (
        (oslo(18, 12), CallbackStatus.NO_ANSWER),
        (oslo(18, 14), CallbackStatus.REACHED),
    ):
        db_session.add(
            Callback(case=cases["D"], slot_start=start, slot_end=start + timedelta(minutes=30),
                     status=status, outcome_at=start)
        )  # fmt: skip
    # F has a callback booked after its deadline: nothing free before it.
    db_session.add(
        Callback(
            case=cases["F"],
            slot_start=oslo(23, 14),
            slot_end=oslo(23, 14, 30),
            status=CallbackStatus.BOOKED,
            contact_envelope="v1.testkey0000000.PHONE-NUMBER-OF-F",
        )
    )
    db_session.add(
        CallbackSlot(
            line_id=cases["F"].line_id,
            slot_start=oslo(23, 14),
            slot_end=oslo(23, 14, 30),
            booked=1,
        )
    )
    db_session.add(
        Notification(
            role=Role.COORDINATOR,
            kind="capacity_warning",
            case_reference="CASE-000F",
            created_at=oslo(20, 11, 1),
            dedupe_key="capacity:CASE-000F:20261123T1300",
        )
    )
    db_session.flush()
    # H is gone: retention folded it into the daily rollup and deleted it.
    fold_cases(db_session, [cases["H"]], calendar)
    db_session.execute(delete(Case).where(Case.reference == "CASE-000H"))
    db_session.expunge(cases["H"])
    db_session.flush()
    return cases
