"""A new line key from a holder's browser, offered when a holder leaves.

The browser's part (making the key, sealing it to each holder and to the recovery key) is
done here with the same functions the browser module mirrors (tests/browser cover the two
agreeing); what the server must check and store is tested through its service and route.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select

import crypto
from advisory.models import Line, LineKey, Role, Staff
from advisory.services.key_management import key_holdings, open_with_recovery
from advisory.services.line_key_rotation import (
    RotationError,
    current_holders,
    rotate_from_browser,
    rotation_state,
)
from advisory.services.staff import deactivate_staff
from tests import reporter_helpers as rh
from tests.conftest import DEFAULT_NOW, TEST_SECRETS
from tests.staff_credentials import give_line_key
from tests.support.line_key_wraps import opened_grant
from tests.test_queue import sign_in_as

LATER = DEFAULT_NOW + timedelta(days=3)
DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])


@pytest.fixture
def new_key(db_session, line):
    return rh.set_up_line_key(db_session)


@pytest.fixture
def holders(db_session, make_staff, new_key) -> dict[str, tuple[Staff, X25519PrivateKey]]:
    """Three lawyers holding the line key: name → (account, own private key)."""
    found = {}
    for name in ("ada", "bo", "cy"):
        staff = make_staff(
            Role.LAWYER, username=name, must_change_password=False, totp_confirmed=True
        )
        own = give_line_key(db_session, staff, new_key.line_key, new_key.private_key, name * 6)
        found[name] = (staff, own)
    db_session.commit()
    return found


def browser_rotation(holders_now: list[Staff], line: Line):
    """What a holder's browser sends: a new key sealed to each holder and to recovery."""
    private = crypto.generate_keypair()
    grants = {
        str(staff.id): crypto.seal_grant(
            private, staff.id, crypto.public_key_from_text(staff.public_key)
        )
        for staff in holders_now
    }
    recovery_public = crypto.public_key_from_text(line.recovery_public_key)
    return private, {
        "public_key": crypto.public_key_to_text(private.public_key()),
        "grants": grants,
        "recovery_grant": crypto.seal_recovery_grant(private, recovery_public),
    }


def test_deactivating_a_holder_advises_a_new_key_and_a_holder_makes_it(
    db_session, holders, new_key
):
    ada, ada_key = holders["ada"]
    line = db_session.get(Line, ada.line_id)
    assert line.rotation_advised_at is None

    # When a holder leaves, the line is advised to rotate
    deactivate_staff(db_session, username="cy", now=LATER)
    assert line.rotation_advised_at == LATER
    state = rotation_state(db_session, ada, data_key=DATA_KEY)
    assert [staff.username for staff in state.holders] == ["ada", "bo"]

    # And a remaining holder's browser makes the new key for the remaining holders
    private, sent = browser_rotation(state.holders, line)
    made = rotate_from_browser(db_session, ada, data_key=DATA_KEY, now=LATER, **sent)

    old = db_session.scalars(select(LineKey).where(LineKey.id == new_key.line_key.id)).one()
    assert old.retired_at == LATER
    assert made.retired_at is None
    assert made.key_id == crypto.key_id_for(private.public_key())
    assert [s.username for s in current_holders(db_session, made)] == ["ada", "bo"]
    assert line.rotation_advised_at is None
    # The one who left never held the new key; every holder's grant opens to it
    opened = opened_grant(db_session, made, ada.id, ada_key)
    assert crypto.key_id_for(opened.public_key()) == made.key_id


def test_the_recovery_passphrase_opens_a_key_made_in_a_browser(db_session, holders, new_key):
    ada, _ = holders["ada"]
    line = db_session.get(Line, ada.line_id)
    state = rotation_state(db_session, ada, data_key=DATA_KEY)
    _, sent = browser_rotation(state.holders, line)
    made = rotate_from_browser(db_session, ada, data_key=DATA_KEY, now=LATER, **sent)

    opened = open_with_recovery(db_session, line, new_key.recovery_passphrase)

    assert {key.key_id for key, _ in opened.keys} == {made.key_id, new_key.line_key.key_id}
    # … and `keys list` says so
    holdings = {holding.line_key.key_id: holding for holding in key_holdings(db_session)}
    assert holdings[made.key_id].has_recovery


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda sent, ids: sent["grants"].pop(ids["bo"]), id="a holder left out"),
        pytest.param(
            lambda sent, ids: sent["grants"].__setitem__("999", sent["grants"][ids["bo"]]),
            id="someone who holds nothing",
        ),
        pytest.param(
            lambda sent, ids: sent["grants"].__setitem__(ids["bo"], sent["grants"][ids["ada"]]),
            id="a grant sealed to another holder",
        ),
        pytest.param(
            lambda sent, ids: sent.__setitem__("recovery_grant", sent["grants"][ids["ada"]]),
            id="recovery sealed to a lawyer",
        ),
        pytest.param(lambda sent, ids: sent.__setitem__("public_key", "AAAA"), id="no key"),
    ],
)
def test_a_rotation_that_does_not_cover_exactly_the_holders_changes_nothing(
    db_session, holders, new_key, spoil
):
    ada, _ = holders["ada"]
    line = db_session.get(Line, ada.line_id)
    state = rotation_state(db_session, ada, data_key=DATA_KEY)
    _, sent = browser_rotation(state.holders, line)
    spoil(sent, {name: str(staff.id) for name, (staff, _) in holders.items()})

    with pytest.raises(RotationError):
        rotate_from_browser(db_session, ada, data_key=DATA_KEY, now=LATER, **sent)

    assert db_session.scalars(select(LineKey).where(LineKey.retired_at.is_(None))).one().id == (
        new_key.line_key.id
    )


def test_only_a_holder_can_rotate(db_session, holders, make_staff, new_key):
    stranger = make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)

    assert rotation_state(db_session, stranger, data_key=DATA_KEY) is None
    with pytest.raises(RotationError):
        rotate_from_browser(
            db_session,
            stranger,
            public_key="x",
            grants={},
            recovery_grant="x",
            data_key=DATA_KEY,
            now=LATER,
        )


def test_the_colleagues_page_offers_the_new_key_and_the_route_stores_it(
    client, db_session, holders, new_key
):
    deactivate_staff(db_session, username="cy", now=LATER)
    db_session.commit()
    ada, _ = holders["ada"]
    sign_in_as(client, db_session, ada)

    page = rh.page_of(client.get("/staff/colleagues"))
    form = page.one("form", **{"class": "rotate"})
    ids = json.loads(form.attrs["data-holders"])
    keys = json.loads(form.attrs["data-holder-keys"])
    assert len(ids) == 2
    private = crypto.generate_keypair()
    grants = {
        str(staff_id): crypto.seal_grant(private, staff_id, crypto.public_key_from_text(key))
        for staff_id, key in zip(ids, keys, strict=True)
    }
    recovery = crypto.public_key_from_text(form.attrs["data-recovery-key"])
    response = client.post(
        "/staff/line-key/rotate",
        data={
            "csrf_token": page.input_value("csrf_token"),
            "public_key": crypto.public_key_to_text(private.public_key()),
            "grants": json.dumps(grants),
            "recovery_grant": crypto.seal_recovery_grant(private, recovery),
        },
    )

    assert response.status_code == 302
    active = db_session.scalars(select(LineKey).where(LineKey.retired_at.is_(None))).one()
    assert active.key_id == crypto.key_id_for(private.public_key())
    # New reports are sealed to it: the report form offers it
    report = rh.get_report(client)
    assert report.one("form", id="report-form").attrs["data-line-key-id"] == active.key_id


@pytest.mark.parametrize("swapped", ["a holder's key", "the recovery key"])
def test_a_key_written_into_the_database_stops_a_rotation(
    client, db_session, holders, new_key, swapped
):
    # Whoever can write the database puts their own key where the browser would seal to it
    ada, _ = holders["ada"]
    intruder = crypto.public_key_to_text(crypto.generate_keypair().public_key())
    if swapped == "the recovery key":
        db_session.get(Line, ada.line_id).recovery_public_key = intruder
    else:
        holders["bo"][0].public_key = intruder
    db_session.commit()
    state = rotation_state(db_session, ada, data_key=DATA_KEY)
    _, sent = browser_rotation(state.holders, state.line)

    with pytest.raises(RotationError):
        rotate_from_browser(db_session, ada, data_key=DATA_KEY, now=LATER, **sent)
    sign_in_as(client, db_session, ada)
    page = rh.page_of(client.get("/staff/colleagues"))
    assert not page.find_all("form", **{"class": "rotate"})
    if swapped == "the recovery key":  # the operator is told what to run, for this line
        line = db_session.get(Line, ada.line_id)
        assert f"keys rotate --line {line.slug}`" in page.html
