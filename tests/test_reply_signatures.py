"""Signed replies: a lawyer's reply carries their signature, the server checks it on arrival,
and the reporter's inbox says whether a reply came from a lawyer of the line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import crypto
from advisory.models import Case, Message, Role, Staff
from advisory.services.reply_signatures import (
    ReplyOrigin,
    register_signing_key,
    reply_origin,
    trusted_signing_key,
)
from advisory.services.staff import reset_staff
from advisory.services.staff_keys import seal_grants
from advisory.services.vouched_keys import KeyRole, vouch
from crypto import signatures
from tests import reporter_helpers as rh
from tests.conftest import DEFAULT_NOW as NOW
from tests.conftest import TEST_SECRETS
from tests.test_case_view import post_action
from tests.test_queue import sign_in_as

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
ANSWER = "Svar: you can take this to the union; call us on Monday."


@pytest.fixture
def line_key(db_session, line):
    return rh.set_up_line_key(db_session)


@pytest.fixture
def own_key():
    return crypto.generate_keypair()


def lawyer_with_keys(make_staff, db_session, own_key, line_key=None) -> Staff:
    """A lawyer with a key pair and the signing key derived from it, vouched for; holding
    the line key (given by a colleague) when `line_key` is given."""
    staff = make_staff(Role.LAWYER, must_change_password=False, totp_confirmed=True)
    staff.public_key = crypto.public_key_to_text(own_key.public_key())
    staff.public_key_mac = vouch(DATA_KEY, KeyRole.STAFF_PUBLIC_KEY, staff.id, staff.public_key)
    staff.wrapped_private_key = '{"v":1}'
    signing = signatures.signing_public_key_text(signatures.signing_key_for(own_key))
    register_signing_key(staff, signing, data_key=DATA_KEY)
    if line_key is not None:
        keys = [(line_key.line_key, line_key.private_key)]
        seal_grants(db_session, staff, keys, data_key=DATA_KEY, now=NOW)
    db_session.flush()
    return staff


@pytest.fixture
def lawyer(make_staff, db_session, own_key, line_key) -> Staff:
    return lawyer_with_keys(make_staff, db_session, own_key, line_key)


def reply_fields(case, code, line_key, own_key, text=ANSWER, signature=None):
    """What the case page's script sends: both envelopes and the lawyer's signature."""
    slug, reference = case.line.slug, case.reference
    to_reporter = rh.sealed(
        "reply", text, crypto.reporter_private_key(code).public_key(), reference, line_slug=slug
    )
    copy = rh.sealed(
        "reply",
        text,
        rh.line_public_key(line_key),
        reference,
        line_slug=slug,
        direction="line-to-line",
    )
    if signature is None:
        key = signatures.signing_key_for(own_key)
        signature = signatures.sign_reply(key, slug, reference, to_reporter)
    return {"envelope": to_reporter, "line_copy_envelope": copy, "signature": signature}


def case_open_to(client, db_session, app, staff: Staff) -> tuple[str, Case]:
    """A case as the report form stores it (its code and row), with `staff` signed in."""
    code = crypto.generate_case_code()
    case = rh.reported_case(db_session, app, code)
    sign_in_as(client, db_session, staff)
    return code, case


def test_the_signing_key_derives_from_the_own_key_and_signs_one_reply_of_one_case(own_key):
    key = signatures.signing_key_for(own_key)
    public = signatures.signing_public_key_text(key)
    signature = signatures.sign_reply(key, "main", "AAAA-AAAA", "v2.envelope")

    assert signatures.signing_public_key_text(signatures.signing_key_for(own_key)) == public
    assert signatures.reply_signature_valid(public, signature, "main", "AAAA-AAAA", "v2.envelope")
    for other in (("main", "AAAA-AAAB", "v2.envelope"), ("main", "AAAA-AAAA", "v2.other")):
        assert not signatures.reply_signature_valid(public, signature, *other)
    assert not signatures.reply_signature_valid(public, "A" * 86, "main", "AAAA-AAAA", "v2.e")
    assert not signatures.reply_signature_valid("not a key", signature, "main", "A", "v2.e")


def test_a_signed_reply_is_stored_with_its_signature_and_shown_as_the_lines(
    client, db_session, app, line_key, lawyer, own_key
):
    code, case = case_open_to(client, db_session, app, lawyer)

    response = post_action(client, case, "reply", **reply_fields(case, code, line_key, own_key))

    assert response.status_code == 302
    message = db_session.scalars(select(Message)).one()
    assert message.signature
    assert reply_origin(message, message.case, data_key=DATA_KEY) is ReplyOrigin.SIGNED
    assert message.signer_key == db_session.get(Staff, message.author_staff_id).signing_public_key
    inbox = client.post("/follow-up", data={"csrf_token": rh.follow_up_csrf(client), "code": code})
    assert "Signert av en advokat på linjen." in inbox.get_data(as_text=True)


@pytest.mark.parametrize(
    "signature",
    ["", "A" * 86, "not base64url!"],
    ids=["missing", "someone else's", "garbage"],
)
def test_a_reply_without_the_authors_signature_is_refused(
    client, db_session, app, line_key, lawyer, own_key, signature
):
    code, case = case_open_to(client, db_session, app, lawyer)
    fields = reply_fields(case, code, line_key, own_key, signature=signature or "")

    response = post_action(client, case, "reply", **fields)

    assert response.status_code == 409
    assert rh.count(db_session, Message) == 0


def test_a_signing_key_written_into_the_database_is_not_vouched_for(db_session, lawyer):
    assert trusted_signing_key(lawyer, data_key=DATA_KEY) == lawyer.signing_public_key
    intruder = signatures.signing_key_for(crypto.generate_keypair())

    lawyer.signing_public_key = signatures.signing_public_key_text(intruder)

    assert trusted_signing_key(lawyer, data_key=DATA_KEY) is None


def test_a_reply_planted_in_the_database_shows_as_not_the_lines(
    client, db_session, app, line_key, lawyer, own_key
):
    # Given a signed reply, and someone who rewrites it in the database with their own key
    code, case = case_open_to(client, db_session, app, lawyer)
    post_action(client, case, "reply", **reply_fields(case, code, line_key, own_key))
    message = db_session.scalars(select(Message)).one()
    slug, reference = message.case.line.slug, message.case.reference
    reporter = crypto.reporter_private_key(code).public_key()
    message.envelope = rh.sealed("reply", "Planted", reporter, reference, line_slug=slug)
    intruder = signatures.signing_key_for(crypto.generate_keypair())
    message.signature = signatures.sign_reply(intruder, slug, reference, message.envelope)
    db_session.commit()

    inbox = client.post("/follow-up", data={"csrf_token": rh.follow_up_csrf(client), "code": code})

    page = inbox.get_data(as_text=True)
    assert "Signert av en advokat på linjen." not in page
    assert 'class="origin mismatch"' in page


def test_replies_signed_before_a_reset_stay_signed(
    client, db_session, app, line_key, lawyer, own_key
):
    code, case = case_open_to(client, db_session, app, lawyer)
    post_action(client, case, "reply", **reply_fields(case, code, line_key, own_key))

    # When the author forgets their password and starts over (new pair, no signing key yet)
    reset_staff(db_session, username=lawyer.username, data_key=DATA_KEY, now=NOW)
    db_session.commit()

    message = db_session.scalars(select(Message)).one()
    assert reply_origin(message, message.case, data_key=DATA_KEY) is ReplyOrigin.SIGNED


def test_a_lawyer_nobody_gave_the_line_key_cannot_sign_as_the_line(
    client, db_session, app, line_key, make_staff
):
    # An account an admin made and enrolled, which no colleague has vetted with a grant
    own = crypto.generate_keypair()
    unvetted = lawyer_with_keys(make_staff, db_session, own)
    code, case = case_open_to(client, db_session, app, unvetted)

    response = post_action(client, case, "reply", **reply_fields(case, code, line_key, own))

    assert response.status_code == 302
    message = db_session.scalars(select(Message)).one()
    assert message.signature is None
    assert reply_origin(message, message.case, data_key=DATA_KEY) is ReplyOrigin.UNSIGNED
