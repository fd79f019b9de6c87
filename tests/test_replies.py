"""Replies to the reporter: the first one is the first response; the inbox shows it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

import crypto
from advisory.models import CaseStatus, Direction, Message, Role
from advisory.services.replies import ReplyError, record_reply
from tests import reporter_helpers as rh
from tests.conftest import DEFAULT_NOW

pytestmark = pytest.mark.usefixtures("line_key")


@pytest.fixture
def lawyer(make_staff, db_session):
    staff = make_staff(Role.LAWYER, username="demo-lawyer")
    db_session.commit()
    return staff


def _reply_key(code):
    return crypto.reporter_private_key(code).public_key()


def test_first_reply_sets_first_response_once(db_session, app, lawyer):
    code = crypto.generate_case_code()
    case = rh.reported_case(db_session, app, code)
    first = crypto.seal("reply", "first", _reply_key(code))
    later = DEFAULT_NOW + timedelta(hours=3)

    record_reply(db_session, case=case, envelope=first, author=lawyer, now=DEFAULT_NOW)
    record_reply(db_session, case=case, envelope=first, author=lawyer, now=later)

    assert case.first_response_at == DEFAULT_NOW
    assert case.status == CaseStatus.AWAITING_REPORTER
    stored = db_session.scalars(select(Message).where(Message.case_id == case.id)).all()
    assert [(m.direction, m.author_staff_id) for m in stored] == [
        (Direction.TO_REPORTER, lawyer.id)
    ] * 2


@pytest.mark.parametrize("envelope", ["plain words", "v1.nothex.AAAA", ""])
def test_a_reply_that_is_not_sealed_is_refused(db_session, app, lawyer, envelope):
    case = rh.reported_case(db_session, app, crypto.generate_case_code())
    with pytest.raises(ReplyError, match="sealed"):
        record_reply(db_session, case=case, envelope=envelope, author=lawyer, now=DEFAULT_NOW)
    assert case.first_response_at is None


def test_no_reply_to_a_closed_case(db_session, app, lawyer):
    code = crypto.generate_case_code()
    case = rh.reported_case(db_session, app, code)
    case.status, case.closed_at = CaseStatus.CLOSED, DEFAULT_NOW
    with pytest.raises(ReplyError, match="closed"):
        record_reply(
            db_session,
            case=case,
            envelope=crypto.seal("reply", "x", _reply_key(code)),
            author=lawyer,
            now=DEFAULT_NOW,
        )


def test_demo_reply_reaches_the_reporters_inbox(client, runner, db_session, lawyer):
    # Given a report sent without JavaScript
    receipt = rh.post_report(client, narrative="Hello")
    code = rh.case_code_on(rh.page_of(receipt))

    # When the demo lawyer replies from the command line
    result = runner.invoke(args=["demo", "reply"], input="We can help; read on.\n")
    assert result.exit_code == 0, result.output

    # Then the reporter reads it with the code, and the reply is stored only sealed
    inbox = client.post("/follow-up", data={"csrf_token": rh.follow_up_csrf(client), "code": code})
    assert "We can help; read on." in inbox.get_data(as_text=True)
    envelopes = db_session.scalars(select(Message.envelope)).all()
    assert envelopes
    assert all("We can help" not in envelope for envelope in envelopes)
