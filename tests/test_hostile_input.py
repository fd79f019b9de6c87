"""Hostile input at the door: refused with a 4xx and a clear message, never stored, never a 500.

Forged keys, tokens and envelopes on the reporter's forms; slot times, dates and ids that no
page offered; NUL characters, uploaded files and JSON where a form expects text. Each case
here answered 500 or was stored before the checks at the door (advisory/services/
sealed_input.py, advisory/forms.py, advisory/slots.py's parse_slot_start).
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

import crypto
from advisory.models import Attachment, Callback, Case, ContactPreference, Role
from tests.reporter_helpers import (
    NARRATIVE,
    PHONE,
    STORED,
    browser_fields,
    count,
    get_report,
    other_line_key,
    page_of,
    post_report,
    report_data,
    sealed,
    set_up_line_key,
)
from tests.test_queue import sign_in_as

FIELD_PRIME = 2**255 - 19


def key_text(raw: bytes) -> str:
    return crypto.encoding.b64url_encode(raw)


@pytest.fixture
def line_key(db_session, line):
    return set_up_line_key(db_session)


def summary_messages(response) -> list[str]:
    summary = page_of(response).by_id("error-summary")
    return [" ".join(item.text.split()) for item in summary.find_all("li")]


# --- keys and tokens from the browser ----------------------------------------------------------


@pytest.mark.parametrize(
    "reporter_key",
    [
        pytest.param(key_text(bytes(32)), id="zero-point"),
        pytest.param(key_text((1).to_bytes(32, "little")), id="order-4-point"),
        pytest.param(key_text((FIELD_PRIME + 1).to_bytes(32, "little")), id="non-canonical"),
        pytest.param("!" * 43, id="not-base64url"),
        pytest.param("AAAA", id="three-bytes"),
        pytest.param("-", id="one-character"),
        pytest.param("A\x00" * 21, id="nul-bytes"),
        pytest.param("", id="empty"),
    ],
)
def test_a_forged_reply_key_is_refused_before_anything_is_stored(
    client, db_session, line_key, reporter_key
):
    fields = browser_fields(line_key, crypto.generate_case_code(), narrative=NARRATIVE)
    fields["reporter_public_key"] = reporter_key

    response = post_report(client, **fields)

    assert response.status_code == 400
    assert summary_messages(response)
    assert count(db_session, Case) == 0


@pytest.mark.parametrize(
    "token",
    [
        key_text(bytes(31)),
        key_text(bytes(33)),
        "!" * 43,
        "A\x00" * 21,
    ],
)
def test_a_lookup_token_of_the_wrong_form_is_refused(client, db_session, line_key, token):
    fields = browser_fields(line_key, crypto.generate_case_code(), narrative=NARRATIVE)
    fields["lookup_token"] = token

    response = post_report(client, **fields)

    assert response.status_code == 400
    assert count(db_session, Case) == 0


# --- envelopes from the browser -----------------------------------------------------------------


def test_an_envelope_sealed_to_another_lines_key_is_refused(client, db_session, line_key):
    stranger_line = other_line_key(db_session)
    fields = browser_fields(line_key, crypto.generate_case_code())
    fields["narrative_envelope"] = sealed("narrative", NARRATIVE, stranger_line)

    response = post_report(client, **fields)

    assert response.status_code == 400
    assert "Siden var forseglet for en annen linje. Last inn denne siden og send igjen." in (
        summary_messages(response)
    )
    assert count(db_session, Case) == 0


def test_a_contact_envelope_larger_than_any_phone_number_is_refused(client, db_session, line_key):
    fields = browser_fields(line_key, crypto.generate_case_code(), narrative=NARRATIVE)
    line_public = crypto.public_key_from_text(line_key.line_key.public_key)
    fields["contact_envelope"] = sealed("contact", "1" * 300, line_public)

    response = post_report(client, contact_preference=ContactPreference.CALLBACK.value, **fields)

    assert response.status_code == 400
    assert count(db_session, Case) == 0
    assert count(db_session, Callback) == 0


def assert_refused_in_place(response, db_session, field: str, narrative: str) -> None:
    """Refused with the error at `field`, the narrative given back as `narrative`, no case."""
    assert response.status_code == 400
    page = page_of(response)
    assert page.has_id(f"{field}-error")
    assert page.by_id("narrative").value == narrative
    assert count(db_session, Case) == 0


# --- text that cannot be sealed or stored ------------------------------------------------------


def test_a_narrative_too_large_to_seal_is_refused_and_kept_in_the_form(
    client, db_session, line_key
):
    # 17 000 emoji are fewer than 20 000 characters, but 68 000 bytes: more than one envelope.
    narrative = "\N{GRINNING FACE}" * 17_000

    response = post_report(client, narrative=narrative)

    assert_refused_in_place(response, db_session, "narrative", narrative)


def test_a_nul_character_is_named_and_taken_out_of_what_comes_back(client, db_session, line_key):
    response = post_report(client, kind=None, narrative="before\x00after")

    assert_refused_in_place(response, db_session, "narrative", "beforeafter")


def test_an_uploaded_file_is_not_read_as_a_form_field(client, db_session, line_key):
    data = report_data(get_report(client), narrative=NARRATIVE)
    data["kind"] = (io.BytesIO(b"discrimination"), "kind.txt")  # type: ignore[assignment]

    response = client.post("/report", data=data, content_type="multipart/form-data")

    assert_refused_in_place(response, db_session, "kind", NARRATIVE)


def test_a_json_body_is_not_read_as_a_form(client, db_session, line_key):
    data = report_data(get_report(client), narrative=NARRATIVE)
    body = {**data, "kind": ["discrimination", {"x": 1}], "narrative": 5}

    response = client.post(
        "/report",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": data["csrf_token"]},
    )

    assert response.status_code == 400
    assert count(db_session, Case) == 0


# --- callback times that no page offered ---------------------------------------------------------


@pytest.mark.parametrize(
    "slot",
    [
        pytest.param("2026-11-24T10:00:00", id="no-offset"),
        pytest.param("2026-11-24", id="bare-date"),
        pytest.param("2026-W48-2", id="week-date"),
        pytest.param("9999-12-31T23:30:00+00:00", id="year-9999"),
        pytest.param("0001-01-01T00:00:00+01:00", id="year-1"),
        pytest.param("2026-11-24T10:00:00+25:00", id="impossible-offset"),
        pytest.param("x" * 39, id="words"),
    ],
)
def test_a_slot_no_page_offered_is_refused_and_the_text_kept(client, db_session, line_key, slot):
    response = post_report(
        client,
        narrative=NARRATIVE,
        contact_preference=ContactPreference.CALLBACK.value,
        phone=PHONE,
        slot=slot,
    )

    assert_refused_in_place(response, db_session, "slot", NARRATIVE)


def test_a_well_formed_time_far_ahead_is_not_booked(client, db_session, line_key):
    response = post_report(
        client,
        contact_preference=ContactPreference.CALLBACK.value,
        phone=PHONE,
        slot="2090-01-02T09:00:00+01:00",
    )

    assert response.status_code == 400
    assert page_of(response).has_id("slot-error")
    assert count(db_session, Callback) == 0


# --- staff pages and ids ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/notices/99999999999999999999999/read",
        f"/notices/{2**63}/read",
        f"/notices/{2**31}/read",  # PostgreSQL's INTEGER keys end below it
        "/notices/0/read",
        "/notices/-1/read",
    ],
)
def test_an_id_beyond_64_bits_is_not_found(client, db_session, make_staff, path):
    lawyer = make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, lawyer)

    response = client.post(path, data={})

    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "period=range&first_day=0001-01-01&last_day=0001-01-02",
        "period=range&first_day=1999-12-31&last_day=2000-01-02",
        "period=range&first_day=9999-12-30&last_day=9999-12-31",
    ],
)
def test_a_dashboard_period_outside_the_figures_is_a_message(client, db_session, make_staff, query):
    coordinator = make_staff(Role.COORDINATOR, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, coordinator)

    response = client.get(f"/coordinator?{query}")

    assert response.status_code == 400
    assert page_of(response).find_all(id="error-summary")


@pytest.mark.parametrize(
    "year", ["999999999999999", "9" * 1000, "-5", "0", "9999", "1e9", "2026.5"]
)
@pytest.mark.parametrize("path", ["/coordinator/report", "/coordinator/report.csv"])
def test_a_report_year_outside_the_figures_is_a_message(client, db_session, make_staff, path, year):
    coordinator = make_staff(Role.COORDINATOR, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, coordinator)

    response = client.get(f"{path}?year={year}")

    assert response.status_code == 400
    assert page_of(response).has_id("year-error")


def test_a_nul_in_the_username_is_named_not_looked_up(client, db_session):
    page = page_of(client.get("/staff/login"))
    data = {
        "csrf_token": page.input_value("csrf_token"),
        "username": "demo\x00lawyer",
        "auth_key": "A" * 43,
        "code": "123456",
    }

    response = client.post("/staff/login", data=data)

    assert response.status_code == 400
    again = page_of(response)
    assert again.by_id("error-summary").find_all("a", href="#username")
    assert again.input_value("username") == "demolawyer"


@pytest.mark.parametrize(
    "reference", ["%00", "ABCD%00EFG", "A" * 10, "K7QF-9M2X%00", "..%2F..%2Fqueue"]
)
@pytest.mark.parametrize("action", ["", "/take", "/status", "/reply"])
def test_a_path_that_cannot_be_a_case_reference_is_not_found(
    client, db_session, make_staff, reference, action
):
    lawyer = make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)
    sign_in_as(client, db_session, lawyer)

    path = f"/cases/{reference}{action}"
    response = client.post(path, data={}) if action else client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["happened", "reporter_role", "field", "preferred_language"])
def test_a_blank_answer_to_an_optional_question_is_no_answer(client, db_session, line_key, name):
    response = post_report(client, **{name: "  "})

    assert response.status_code == 200
    assert getattr(db_session.scalars(select(Case)).one(), name) is None


def test_a_number_typed_for_an_inbox_report_is_neither_sealed_nor_kept(
    client, db_session, line_key
):
    response = post_report(client, contact_preference="inbox", phone="A" * 70_000)

    assert response.status_code == 200
    assert count(db_session, Callback) == 0


def test_an_envelope_of_a_version_our_pages_no_longer_seal_is_refused(client, db_session, line_key):
    # A v1 envelope binds no case: a page of ours never sends one now, so none is stored.
    fields = browser_fields(line_key, crypto.generate_case_code())
    line_public = crypto.public_key_from_text(line_key.line_key.public_key)
    fields["narrative_envelope"] = crypto.seal("narrative", NARRATIVE, line_public)

    response = post_report(client, **fields)

    assert response.status_code == 400
    assert count(db_session, Case) == 0


@pytest.mark.parametrize(
    "auth_key",
    ["A" * 42 + "B", "A" * 43 + "\n", "A" * 42 + "=", "Ø" * 43, "A" * 44],
    ids=["non-canonical", "trailing-newline", "padding", "non-ascii", "too-long"],
)
def test_a_forged_authentication_key_is_a_400_and_counts_nothing(client, db_session, auth_key):
    page = page_of(client.get("/staff/login"))
    data = {
        "csrf_token": page.input_value("csrf_token"),
        "username": "demo-lawyer",
        "auth_key": auth_key,
        "code": "123456",
    }

    response = client.post("/staff/login", data=data)

    assert response.status_code == 400


@pytest.mark.parametrize("index", ["²", "٣", "1²"])
def test_a_file_entry_numbered_with_a_digit_int_refuses_is_left_out(
    client, db_session, line_key, index
):
    page = get_report(client)
    data = report_data(page, narrative="Nothing odd.")
    data |= {f"attachments-{index}-upload": "x", f"attachments-{index}-header": "y"}

    answer = client.post("/report", data=data)

    # No field of ours has such a name: it is read as no field at all
    assert answer.status_code == STORED
    assert count(db_session, Case) == 1
    assert count(db_session, Attachment) == 0
