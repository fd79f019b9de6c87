"""Fuzzing every form and POST endpoint of every role: hostile input is the visitor's error.

For each endpoint (tests/fuzz/endpoints.py), Hypothesis draws requests that mix valid values
(a real CSRF token, a real case code, an envelope sealed to the line key) with hostile ones
(wrong types, unknown choices, huge and empty values, control characters, lone surrogates,
forged keys and envelopes, dates from year 1 to 9999, integers beyond 64 bits, files,
repeated fields). For every request:

- the answer is not a server error (5xx, or an exception out of the app);
- every page a lawyer or a coordinator can reach, and that the request's writes could have
  changed, still opens; every stored reporter key and envelope is well-formed and of the
  right line.

A second test stores hostile rows directly, as an older version or a database writer might
have left them, and asks the same of the staff pages and of a reply to that case.

Each example runs in its own transaction, rolled back afterwards (tests/fuzz/world.py), so
every example starts from the same seed. Derandomised: the same examples on every run, four
per test by default. ADVISORY_FUZZ_EXAMPLES sets the total for one database, shared evenly by
the tests of this module: for instance
`ADVISORY_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py -p no:cacheprovider`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from advisory.models import (
    Callback,
    CallbackStatus,
    ContactPreference,
    Direction,
    Kind,
    Notification,
)
from tests.conftest import DATABASES, DEFAULT_NOW, new_case, new_message
from tests.fuzz import shapes
from tests.fuzz.checks import check_after_example, check_staff_pages
from tests.fuzz.endpoints import ENDPOINTS, Endpoint
from tests.fuzz.seed import open_world, own_database
from tests.fuzz.shapes import forged_envelopes
from tests.fuzz.values import Body, FuzzRequest, Ref, Value, resolve
from tests.fuzz.world import World

EXAMPLES_ENV = "ADVISORY_FUZZ_EXAMPLES"
DEFAULT_EXAMPLES_PER_TEST = 4
TESTS = len(ENDPOINTS) + 1  # the endpoints, and hostile rows already stored


def examples_per_test() -> int:
    total = os.environ.get(EXAMPLES_ENV)
    if not total:
        return DEFAULT_EXAMPLES_PER_TEST
    return max(1, math.ceil(int(total) / TESTS))


FUZZ = settings(
    max_examples=examples_per_test(),
    derandomize=True,
    database=None,
    deadline=None,
    # No "explain" phase: its notes name library lines, not the input that matters.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", params=DATABASES)
def fuzz_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("fuzz")
    with own_database(request.param, directory) as url, open_world(url, directory) as world:
        with world.example():
            check_staff_pages(world)  # the seed must pass what every example is held to
        yield world


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
@FUZZ
@given(data=st.data())
def test_hostile_requests_get_no_server_error_and_break_no_staff_page(
    fuzz_world: World, endpoint: Endpoint, data: st.DataObject
) -> None:
    request = data.draw(endpoint.requests, label="request")
    with fuzz_world.example():
        response = fuzz_world.send(request)

        assert response.status_code < 500, f"{endpoint} answered {response.status_code}"
        check_after_example(fuzz_world)


# --- rows stored before the door was closed ------------------------------------------------------

STORED_REFERENCE = "FUZZ-0001"
# Hostile values for the rows of one case, as a database column can hold them (`storable`).
STORED = st.fixed_dictionaries(
    {
        "reporter_public_key": st.one_of(st.none(), shapes.hostile_key),
        "narrative_envelope": st.one_of(st.none(), forged_envelopes("narrative")),
        "message": st.one_of(st.none(), forged_envelopes("message")),
        "reply": st.one_of(st.none(), forged_envelopes("reply")),
        "line_copy": st.one_of(st.none(), forged_envelopes("reply")),
        "contact": st.one_of(st.none(), forged_envelopes("contact")),
        "notice_kind": st.one_of(
            st.none(), st.just("kind-of-a-newer-version"), shapes.hostile_text
        ),
    }
)
COLUMN_LENGTHS = {"reporter_public_key": 64, "notice_kind": 40}


@FUZZ
@given(stored=STORED)
def test_staff_pages_and_replies_survive_hostile_rows_already_stored(
    fuzz_world: World, stored: dict[str, Value | None]
) -> None:
    view = fuzz_world.for_role("lawyer")
    row = {
        name: None if value is None else storable(resolve(value, view), COLUMN_LENGTHS.get(name))
        for name, value in stored.items()
    }
    with fuzz_world.example():
        callback_id = store_case(fuzz_world, row)

        check_staff_pages(fuzz_world)
        csrf = ("csrf_token", Ref("csrf"))
        actions = {
            ("reply",): Body((csrf, ("text", "Hei, vi har lest saken."))),
            ("reveal", str(callback_id)): Body((csrf,)),
        }
        for action, body in actions.items():
            path = ("cases", STORED_REFERENCE, *action)
            status = fuzz_world.send(FuzzRequest("lawyer", "POST", path, body=body)).status_code
            assert status < 500, f"{'/'.join(action)} on the stored case answered {status}"


def storable(value: str | bytes, length: int | None) -> str:
    """`value` as a database column can hold it: valid UTF-8 without NUL (PostgreSQL refuses
    both), no longer than the column."""
    text = value if isinstance(value, str) else value.decode("utf-8", "replace")
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "")
    return text[:length] if length is not None else text


def store_case(world: World, row: dict[str, str | None]) -> int:
    """A case of the line with the hostile values, a message, a reply, a callback and a notice;
    returns the callback's id."""
    session = world.session()
    case = new_case(
        world.line_id,
        reference=STORED_REFERENCE,
        kind=Kind.OTHER,
        contact_preference=ContactPreference.CALLBACK,
        reporter_public_key=row["reporter_public_key"],
        narrative_envelope=row["narrative_envelope"],
    )
    session.add(case)
    if row["message"] is not None:
        session.add(new_message(Direction.FROM_REPORTER, row["message"], case=case))
    if row["reply"] is not None:
        session.add(
            new_message(
                Direction.TO_REPORTER,
                row["reply"],
                case=case,
                line_copy_envelope=row["line_copy"],
                author_staff_id=int(world.refs["colleague_id"]),
            )
        )
    callback = Callback(
        case=case,
        slot_start=DEFAULT_NOW + timedelta(hours=2),
        slot_end=DEFAULT_NOW + timedelta(hours=2, minutes=30),
        status=CallbackStatus.BOOKED,
        contact_envelope=row["contact"],
    )
    session.add(callback)
    if row["notice_kind"] is not None:
        session.add(
            Notification(
                staff_id=int(world.refs["observer_id"]),
                kind=row["notice_kind"],
                case_reference=STORED_REFERENCE,
                created_at=DEFAULT_NOW,
                dedupe_key="fuzz:stored",
            )
        )
    session.commit()
    return callback.id
