"""The schema: migrations match the models, rules hold in the database, no column can identify.

Every test runs on each configured database inside a rolled-back transaction. Constraint tests
provoke the violation inside a savepoint, so the test's own transaction stays usable.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError, StatementError

from advisory.database import include_in_autogenerate
from advisory.extensions import db
from advisory.models import (
    Callback,
    CaseStatus,
    Direction,
    Line,
    LineKey,
    Message,
    Role,
    Staff,
    WrapKind,
    WrappedKey,
)
from tests.conftest import DEFAULT_NOW, OSLO, new_message

CANARY = "v1.0123456789abcdef.CANARY-must-never-be-printed"

# Column names that would let a record point back at a reporter. Matched against the
# underscore-separated words of every column name, so `client_ip` and `ip_address` are caught
# but `recipient`, `description` and `emailed_at` are not.
IDENTIFYING_WORDS = frozenset(
    {"ip", "ipaddr", "address", "addr", "useragent", "remote", "fingerprint", "email", "phone"}
)
IDENTIFYING_PHRASES = ("user_agent", "reporter_name", "forwarded_for")
# (table, column) pairs allowed despite their name; add one only with a reason beside it.
# Staff are not anonymous: a lawyer's own work address receives content-free notifications.
# The notification column is a timestamp of the mail-out, not an address.
ALLOWED_DESPITE_NAME: frozenset[tuple[str, str]] = frozenset(
    # A line's phone is its own public number, shown to every reporter.
    {("staff", "email"), ("notification", "email_claimed_at"), ("line", "phone")}
)


def suggests_identity(column: str) -> bool:
    name = column.lower()
    if name.endswith("_envelope"):  # sealed to the line key: only lawyers can read it
        return False
    words = set(re.split(r"[^a-z0-9]+", name))
    return bool(words & IDENTIFYING_WORDS) or any(phrase in name for phrase in IDENTIFYING_PHRASES)


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def lawyer(make_staff) -> Staff:
    return make_staff(Role.LAWYER, username="lawyer")


@pytest.fixture
def line_key(db_session, line) -> LineKey:
    key = LineKey(line=line, key_id="0123456789abcdef", public_key="A" * 43, created_at=DEFAULT_NOW)
    db_session.add(key)
    db_session.flush()
    return key


@pytest.fixture
def refused(db_session) -> Callable[..., contextlib.AbstractContextManager[None]]:
    """`with refused():` expects what happens inside to fail (by default on a database rule).

    The attempt runs in a savepoint, so the test's transaction stays usable afterwards.
    """

    @contextlib.contextmanager
    def refused(
        expected: type[Exception] | tuple[type[Exception], ...] = IntegrityError,
        match: str | None = None,
    ) -> Iterator[None]:
        with pytest.raises(expected, match=match), db_session.begin_nested():
            yield

    return refused


# --- the schema ---------------------------------------------------------------------------------


def test_migrations_build_exactly_the_schema_the_models_describe(db_session):
    context = MigrationContext.configure(
        db_session.connection(), opts={"include_object": include_in_autogenerate}
    )
    assert compare_metadata(context, db.metadata) == []


def test_no_column_could_identify_a_reporter(db_session):
    inspector = sa.inspect(db_session.connection())
    columns = [
        (table, column["name"])
        for table in inspector.get_table_names()
        for column in inspector.get_columns(table)
    ]
    assert len(columns) > 50  # the inspector really saw the schema
    suspicious = [
        pair for pair in columns if suggests_identity(pair[1]) and pair not in ALLOWED_DESPITE_NAME
    ]
    assert suspicious == []


@pytest.mark.parametrize(
    ("column", "flagged"),
    [
        ("ip", True),
        ("client_ip", True),
        ("ip_address", True),
        ("remote_addr", True),
        ("user_agent", True),
        ("useragent", True),
        ("browser_fingerprint", True),
        ("reporter_name", True),
        ("email", True),
        ("reporter_email", True),
        ("phone", True),
        ("phone_number", True),
        ("x_forwarded_for", True),
        ("contact_envelope", False),
        ("phone_envelope", False),
        ("emailed_at", False),
        ("recipient", False),
        ("description", False),
        ("shipping", False),
        ("reporter_public_key", False),
    ],
)
def test_identity_check_catches_the_names_it_should(column, flagged):
    assert suggests_identity(column) is flagged


# --- rules the database enforces ----------------------------------------------------------------


@pytest.mark.parametrize("priority", [0, 5, -1])
def test_priority_outside_one_to_four_is_refused(make_case, refused, priority):
    with refused():
        make_case(priority=priority)


@pytest.mark.parametrize("priority", [1, 4])
def test_priority_one_to_four_is_accepted(make_case, priority):
    assert make_case(priority=priority).id is not None


def test_closed_case_without_closed_at_is_refused(make_case, refused):
    with refused():
        make_case(status=CaseStatus.CLOSED)


def test_closed_at_on_an_open_case_is_refused(make_case, refused):
    with refused():
        make_case(status=CaseStatus.IN_PROGRESS, closed_at=DEFAULT_NOW)


def test_closed_case_with_closed_at_is_accepted(make_case):
    assert make_case(status=CaseStatus.CLOSED, closed_at=DEFAULT_NOW).id is not None


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("case", "kind"),
        ("case", "channel"),
        ("case", "status"),
        ("case", "contact_preference"),
        ("case", "reporter_role"),
        ("case", "preferred_language"),
        ("staff", "role"),
    ],
)
def test_a_value_outside_its_enum_is_refused_by_the_database(
    db_session, make_case, lawyer, refused, table, column
):
    # The ORM would refuse the value itself, so go around it with plain SQL.
    row_id = make_case().id if table == "case" else lawyer.id
    statement = sa.text(f'UPDATE "{table}" SET {column} = :value WHERE id = :id')  # noqa: S608
    with refused():
        db_session.execute(statement, {"value": "not-a-member", "id": row_id})


def test_reply_to_reporter_without_author_is_refused(db_session, make_case, refused):
    case = make_case()
    with refused():
        db_session.add(Message(case_id=case.id, direction=Direction.TO_REPORTER, envelope="v1.x"))
        db_session.flush()


def test_message_from_reporter_with_a_staff_author_is_refused(
    db_session, make_case, lawyer, refused
):
    case = make_case()
    with refused():
        db_session.add(
            new_message(Direction.FROM_REPORTER, "v1.x", case_id=case.id, author_staff_id=lawyer.id)
        )
        db_session.flush()


def test_recovery_key_belonging_to_staff_is_refused(db_session, line_key, lawyer, refused):
    with refused():
        db_session.add(
            WrappedKey(line_key=line_key, kind=WrapKind.RECOVERY, staff_id=lawyer.id, blob="{}")
        )
        db_session.flush()


def test_staff_key_without_staff_is_refused(db_session, line_key, refused):
    with refused():
        db_session.add(WrappedKey(line_key=line_key, kind=WrapKind.STAFF, blob="{}"))
        db_session.flush()


def test_a_line_key_has_one_recovery_wrapping_only(db_session, line_key, refused):
    db_session.add(WrappedKey(line_key=line_key, kind=WrapKind.RECOVERY, blob="{}"))
    db_session.flush()
    with refused():
        db_session.add(WrappedKey(line_key=line_key, kind=WrapKind.RECOVERY, blob="{}"))
        db_session.flush()


def test_a_line_key_is_wrapped_once_per_lawyer(db_session, line_key, lawyer, refused):
    db_session.add(
        WrappedKey(line_key=line_key, kind=WrapKind.STAFF, staff_id=lawyer.id, blob="{}")
    )
    db_session.flush()
    with refused():
        db_session.add(
            WrappedKey(line_key=line_key, kind=WrapKind.STAFF, staff_id=lawyer.id, blob="{}")
        )
        db_session.flush()


def test_recovery_and_lawyer_wrappings_of_one_key_coexist(db_session, line_key, lawyer):
    db_session.add_all(
        [
            WrappedKey(line_key=line_key, kind=WrapKind.RECOVERY, blob="{}"),
            WrappedKey(line_key=line_key, kind=WrapKind.STAFF, staff_id=lawyer.id, blob="{}"),
        ]
    )
    db_session.flush()
    assert len(line_key.wrapped) == 2


def test_duplicate_case_reference_is_refused(make_case, refused):
    make_case(reference="ABCD-EFGH")
    with refused():
        make_case(reference="ABCD-EFGH")


@pytest.mark.parametrize("length", [timedelta(0), timedelta(minutes=-30)])
def test_callback_slot_must_end_after_it_starts(db_session, make_case, refused, length):
    case = make_case()
    with refused():
        db_session.add(
            Callback(case_id=case.id, slot_start=DEFAULT_NOW, slot_end=DEFAULT_NOW + length)
        )
        db_session.flush()


# --- aware UTC timestamps -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 23, 10, 0, tzinfo=OSLO),  # winter time, UTC+1
        datetime(2026, 6, 22, 10, 0, tzinfo=OSLO),  # summer time, UTC+2
        datetime(2026, 3, 29, 3, 30, tzinfo=OSLO),  # just after the spring DST change
        datetime(2026, 11, 23, 14, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC),
    ],
)
def test_timestamps_come_back_as_the_same_instant_in_utc(db_session, moment):
    line = Line(slug="tz", name="Time zones", created_at=moment)
    db_session.add(line)
    db_session.flush()
    db_session.expire_all()

    stored = db_session.scalar(sa.select(Line.created_at).where(Line.id == line.id))

    assert stored == moment
    assert stored.tzinfo is UTC
    assert stored.utcoffset() == timedelta(0)


def test_timestamps_are_stored_as_utc_wall_clock(db_session):
    # 10:00 in Oslo in November is 09:00 UTC; the raw column must say 09:00.
    line = Line(slug="raw", name="Raw", created_at=datetime(2026, 11, 23, 10, 0, tzinfo=OSLO))
    db_session.add(line)
    db_session.flush()

    raw = db_session.execute(
        sa.text("SELECT created_at FROM line WHERE id = :id"), {"id": line.id}
    ).scalar_one()

    assert str(raw).startswith("2026-11-23 09:00:00")


def test_a_naive_timestamp_is_refused(db_session, refused):
    with refused((StatementError, ValueError), match="naive datetime"):
        db_session.add(Line(slug="naive", name="Naive", created_at=datetime(2026, 11, 23, 10)))
        db_session.flush()


def test_an_empty_optional_timestamp_stays_empty(db_session, line_key):
    db_session.expire_all()
    assert db_session.scalar(sa.select(LineKey.retired_at).where(LineKey.id == line_key.id)) is None


# --- repr never shows an envelope ---------------------------------------------------------------


def test_repr_of_a_case_hides_its_narrative(make_case):
    case = make_case(narrative_envelope=CANARY)
    assert "CANARY" not in repr(case)


def test_repr_of_a_message_hides_its_envelope(db_session, make_case, lawyer):
    message = Message(
        case_id=make_case().id,
        direction=Direction.TO_REPORTER,
        envelope=CANARY,
        author_staff_id=lawyer.id,
    )
    db_session.add(message)
    db_session.flush()
    assert "CANARY" not in repr(message)


def test_repr_of_a_callback_hides_the_phone_number(db_session, make_case):
    callback = Callback(
        case_id=make_case().id,
        slot_start=DEFAULT_NOW,
        slot_end=DEFAULT_NOW + timedelta(minutes=30),
        contact_envelope=CANARY,
    )
    db_session.add(callback)
    db_session.flush()
    assert "CANARY" not in repr(callback)


def test_repr_of_staff_and_keys_hides_their_secrets(db_session, lawyer, line_key):
    wrapped = WrappedKey(line_key=line_key, kind=WrapKind.STAFF, staff_id=lawyer.id, blob=CANARY)
    db_session.add(wrapped)
    db_session.flush()
    assert "CANARY" not in repr(wrapped)
    assert lawyer.password_hash not in repr(lawyer)
    assert lawyer.totp_secret_encrypted not in repr(lawyer)
