"""Staff sign-in: password + TOTP, lockout, session limits, sign-out, first-time enrolment.

CSRF stays on here (the app fixture is built with production security settings): every
post carries the token from the page, as a browser would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta

import pyotp
import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm.attributes import set_committed_value

from advisory import passwords, totp
from advisory.auth.access import KEY_HOLDER_HEADER
from advisory.auth.sessions import ABSOLUTE_LIFETIME, COOKIE_NAME, decode
from advisory.models import AuditEvent, CredentialScheme, RevokedStaffSession, Role, Staff
from advisory.services.sign_in import CodeVerdict, accept_code, lock_duration
from advisory.services.staff import add_staff
from crypto.encoding import b64url_encode
from tests.conftest import DEFAULT_NOW, TEST_SECRETS
from tests.staff_credentials import auth_key_bytes, auth_key_for, enrolment_form
from tests.support.legacy_proofs import legacy_password_hash, legacy_tag

DATA_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_DATA_KEY"])
SECRET_KEY = bytes.fromhex(TEST_SECRETS["ADVISORY_SECRET_KEY"])
PASSWORD = "correct horse battery staple"
STEP = timedelta(seconds=30)  # one TOTP time step
TOKEN = re.compile(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*"[^>]*name="csrf_token"')


def enrolled_lawyer(db_session, username: str) -> tuple[Staff, str]:
    """A lawyer who has finished enrolment, password PASSWORD: (account, TOTP seed)."""
    new = add_staff(
        db_session,
        username=username,
        role=Role.LAWYER,
        data_key=DATA_KEY,
        now=DEFAULT_NOW,
        password=PASSWORD,
    )
    new.staff.must_change_password = False
    new.staff.totp_confirmed = True
    db_session.commit()  # requests end their session: only committed rows outlive them
    return new.staff, new.totp_seed


@pytest.fixture
def lawyer(db_session, line) -> tuple[Staff, str]:
    return enrolled_lawyer(db_session, "alice")


def account(db_session, username: str) -> Staff:
    """The account as stored now (objects of earlier requests are detached)."""
    return db_session.scalars(select(Staff).where(Staff.username == username)).one()


def csrf_token(client: FlaskClient, path: str = "/staff/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(client: FlaskClient, username: str, password: str, code: str = ""):
    """As the sign-in page's script does it: the authentication key, never the password."""
    data = {"username": username, "auth_key": auth_key_for(password, username), "code": code}
    return client.post("/staff/login", data={**data, "csrf_token": csrf_token(client)})


def code_now(seed: str, clock) -> str:
    return pyotp.TOTP(seed).at(clock[0])


def staff_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE_NAME)
    return cookie.value if cookie is not None else None


def post(client: FlaskClient, path: str, page: str = "/staff", **data: str):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def without_token(page: str) -> str:
    return TOKEN.sub("", page)


def actions(db_session) -> list[tuple[str, dict]]:
    events = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.action, json.loads(e.detail)) for e in events]


# --- the plain path -----------------------------------------------------------------------------


def test_password_and_current_code_sign_in_and_show_who_you_are(client, lawyer, clock, db_session):
    _staff, seed = lawyer

    response = sign_in(client, "alice", PASSWORD, code_now(seed, clock))

    assert response.status_code == 302
    assert response.headers["Location"] == "/queue"
    home = client.get("/staff")
    assert home.status_code == 200
    assert "alice" in home.get_data(as_text=True)
    assert account(db_session, "alice").last_sign_in_at == DEFAULT_NOW
    assert ("staff.sign_in", {"stage": "complete"}) in actions(db_session)


@pytest.mark.parametrize(
    ("role", "work_page"),
    [
        (Role.LAWYER, "/queue"),
        (Role.COORDINATOR, "/coordinator"),
        (Role.ADMIN, "/staff/admin/staff"),
    ],
)
def test_enrolment_and_every_later_sign_in_land_on_the_work_page_of_the_role(
    app, client, db_session, line, clock, role, work_page
):
    # Given a new account of the role, through its first sign-in and enrolment
    new_account(db_session, "carol", role)
    sign_in(client, "carol", "one-time-password")
    seed = enrolment_seed(account(db_session, "carol"))
    code = code_now(seed, clock)
    enrolled = enrol(client, db_session, "a brand new passphrase", code, username="carol")
    # When they sign in again, elsewhere, with the next code
    clock[0] += STEP
    again = sign_in(app.test_client(), "carol", "a brand new passphrase", code_now(seed, clock))
    # Then both land where their work is, a page they may open
    assert enrolled.headers["Location"] == again.headers["Location"] == work_page
    assert client.get(work_page).status_code == 200


@pytest.mark.parametrize(
    ("role", "holds_keys"), [(Role.LAWYER, True), (Role.COORDINATOR, False), (Role.ADMIN, False)]
)
def test_only_a_lawyers_pages_tell_the_browser_that_keys_are_held(
    client, db_session, line, clock, role, holds_keys
):
    # The sign-in script fetches key material only where the page it lands on says so.
    staff, seed = enrolled_lawyer(db_session, "alice")
    account(db_session, "alice").role = role
    account(db_session, "alice").line_id = line.id if role is Role.LAWYER else None
    db_session.commit()

    landed = client.get(sign_in(client, "alice", PASSWORD, code_now(seed, clock)).location)

    assert landed.status_code == 200
    assert (landed.headers.get(KEY_HOLDER_HEADER) == "1") is holds_keys
    assert KEY_HOLDER_HEADER not in client.get("/staff/login").headers


def test_an_account_half_way_through_enrolment_is_not_told_it_holds_keys(client, newcomer):
    sign_in(client, "bob", "one-time-password")

    welcome = client.get("/staff/welcome")

    assert welcome.status_code == 200
    assert KEY_HOLDER_HEADER not in welcome.headers


def test_the_code_hint_asks_for_the_code_unless_a_one_time_password_is_used(client, lawyer, clock):
    # An account past enrolment (every demo account is one) needs its code from the start:
    # the hint must not tell a newcomer to leave it empty at their first sign-in.
    _staff, seed = lawyer
    page = client.get("/staff/login").get_data(as_text=True)

    assert "La feltet stå tomt første gang" not in page  # the old hint, in the page's language
    assert "De seks sifrene autentiseringsappen din viser nå" in page
    assert "bare når du logger inn med" in page
    assert sign_in(client, "alice", PASSWORD).status_code == 401
    assert sign_in(client, "alice", PASSWORD, code_now(seed, clock)).status_code == 302


def test_the_code_from_the_previous_30_seconds_is_still_accepted(client, lawyer, clock):
    _staff, seed = lawyer
    previous = pyotp.TOTP(seed).at(clock[0] - timedelta(seconds=30))

    assert sign_in(client, "alice", PASSWORD, previous).status_code == 302


def test_signed_out_visitors_are_sent_to_the_sign_in_page(client):
    response = client.get("/staff")

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
    assert response.headers["Cache-Control"] == "no-store"


# --- failures look alike ------------------------------------------------------------------------


@pytest.fixture
def failure_pages(client, lawyer, clock) -> dict[str, tuple[int, str]]:
    _staff, seed = lawyer
    attempts = {
        "unknown user": ("nobody", PASSWORD, code_now(seed, clock)),
        "wrong password": ("alice", "not the password", code_now(seed, clock)),
        "wrong code": ("alice", PASSWORD, "000000" if code_now(seed, clock) != "000000" else "1"),
        "no code": ("alice", PASSWORD, ""),
    }
    pages = {}
    for name, (username, password, code) in attempts.items():
        response = sign_in(client, username, password, code)
        pages[name] = (response.status_code, without_token(response.get_data(as_text=True)))
    return pages


def test_unknown_user_wrong_password_and_wrong_code_get_the_same_answer(failure_pages):
    answers = set(failure_pages.values())

    assert len(answers) == 1
    status, page = answers.pop()
    assert status == 401
    assert "Brukernavnet, passordet eller koden stemmer ikke" in page
    assert "nobody" not in page  # nothing typed is echoed


def test_failed_sign_ins_are_audited_by_reason_without_secrets(failure_pages, db_session):
    failures = [
        detail for action, detail in actions(db_session) if action == "staff.sign_in_failed"
    ]

    assert failures == [
        {"reason": "unknown_user"},
        {"reason": "password"},
        {"reason": "code"},
        {"reason": "code"},
    ]
    everything = " ".join(e.detail for e in db_session.scalars(select(AuditEvent)))
    assert PASSWORD not in everything
    assert "nobody" not in everything


def test_an_unknown_user_costs_one_argon2_verification_like_a_real_one(client, lawyer, monkeypatch):
    calls = []
    real = passwords.verify_auth_key
    monkeypatch.setattr(passwords, "verify_auth_key", lambda h, p: calls.append(h) or real(h, p))

    sign_in(client, "nobody", PASSWORD)
    sign_in(client, "alice", "wrong password")

    assert len(calls) == 2
    assert all(h.startswith("$argon2id$v=19$m=8,t=1,p=1$") for h in calls)


# --- lockout ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "lock"),
    [(4, None), (5, timedelta(minutes=1)), (6, timedelta(minutes=2)), (7, timedelta(minutes=4))]
    + [(10, timedelta(minutes=32)), (11, timedelta(hours=1)), (40, timedelta(hours=1))],
)
def test_the_lock_grows_with_each_failure_up_to_an_hour(failures, lock):
    assert lock_duration(failures) == lock


def test_five_failures_lock_the_account_then_the_delay_grows(client, lawyer, clock, db_session):
    _staff, seed = lawyer
    # Given five wrong passwords
    for _ in range(5):
        assert sign_in(client, "alice", "wrong password").status_code == 401
    # Then even the right credentials get the same answer for a minute
    assert account(db_session, "alice").locked_until == clock[0] + timedelta(minutes=1)
    locked = sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    assert locked.status_code == 401
    assert "Brukernavnet, passordet eller koden stemmer ikke" in locked.get_data(as_text=True)
    # When the lock has passed and the sixth attempt also fails
    clock[0] += timedelta(minutes=1, seconds=1)
    assert sign_in(client, "alice", "wrong password").status_code == 401
    # Then the next lock is twice as long
    assert account(db_session, "alice").failed_logins == 6
    assert account(db_session, "alice").locked_until == clock[0] + timedelta(minutes=2)
    clock[0] += timedelta(minutes=1)
    assert sign_in(client, "alice", PASSWORD, code_now(seed, clock)).status_code == 401
    # And after it the right credentials work and the count starts again
    clock[0] += timedelta(minutes=1, seconds=1)
    assert sign_in(client, "alice", PASSWORD, code_now(seed, clock)).status_code == 302
    assert account(db_session, "alice").failed_logins == 0
    assert account(db_session, "alice").locked_until is None


def test_a_locked_account_answers_exactly_like_a_wrong_password(client, lawyer, clock):
    _staff, seed = lawyer
    wrong = sign_in(client, "alice", "wrong password")
    for _ in range(4):
        sign_in(client, "alice", "wrong password")

    locked = sign_in(client, "alice", PASSWORD, code_now(seed, clock))

    assert locked.status_code == wrong.status_code
    assert without_token(locked.get_data(as_text=True)) == without_token(
        wrong.get_data(as_text=True)
    )


def test_a_locked_account_is_not_checked_against_its_password_but_costs_as_much(
    client, lawyer, clock, db_session, monkeypatch
):
    staff, seed = lawyer
    for _ in range(5):
        sign_in(client, "alice", "wrong password")
    checked = []
    real = passwords.verify_auth_key
    monkeypatch.setattr(passwords, "verify_auth_key", lambda h, p: checked.append(h) or real(h, p))

    sign_in(client, "alice", PASSWORD, code_now(seed, clock))

    # One argon2 verification, of the dummy hash at the same cost: never the account's own
    assert len(checked) == 1
    assert checked[0] != account(db_session, "alice").password_hash
    assert checked[0].startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert actions(db_session)[-1] == ("staff.sign_in_failed", {"reason": "locked"})
    assert account(db_session, "alice").failed_logins == 5  # refused while locked: not counted


def test_when_a_lock_runs_out_one_attempt_is_checked_before_the_next_lock(
    client, lawyer, clock, db_session
):
    for _ in range(5):
        sign_in(client, "alice", "wrong password")
    clock[0] += timedelta(minutes=1, seconds=1)

    for _ in range(3):
        sign_in(client, "alice", "wrong password")

    reasons = [detail["reason"] for action, detail in actions(db_session)[-3:]]
    assert reasons == ["password", "locked", "locked"]
    assert account(db_session, "alice").locked_until == clock[0] + timedelta(minutes=2)


def test_a_wrong_code_after_the_right_password_counts_towards_the_lock(
    client, lawyer, clock, db_session
):
    _staff, seed = lawyer
    for _ in range(5):
        sign_in(client, "alice", PASSWORD, wrong_code(seed, clock))

    assert account(db_session, "alice").locked_until == clock[0] + timedelta(minutes=1)
    assert sign_in(client, "alice", PASSWORD, code_now(seed, clock)).status_code == 401


# --- session limits, sign-out -------------------------------------------------------------------


def test_idle_timeout_is_30_minutes_counted_from_the_last_request(client, lawyer, clock):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))

    clock[0] += timedelta(minutes=29)
    assert client.get("/staff").status_code == 200
    clock[0] += timedelta(minutes=29)
    assert client.get("/staff").status_code == 200
    clock[0] += timedelta(minutes=30, seconds=1)
    response = client.get("/staff")

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
    assert staff_cookie(client) is None  # the stale cookie is cleared


def test_a_session_ends_after_12_hours_however_busy(client, lawyer, clock):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    start = clock[0]

    while clock[0] < start + timedelta(hours=11, minutes=50):
        clock[0] += timedelta(minutes=20)
        assert client.get("/staff").status_code == 200
    clock[0] = start + timedelta(hours=12, seconds=1)

    assert client.get("/staff").status_code == 302


def test_sign_out_clears_the_cookie_and_is_audited(client, lawyer, clock, db_session):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))

    response = post(client, "/staff/sign-out")

    assert response.headers["Location"] == "/staff/login?signed_out=1"
    assert staff_cookie(client) is None
    assert client.get("/staff").status_code == 302
    assert ("staff.sign_out", {}) in actions(db_session)


def test_sign_out_everywhere_ends_other_browsers_sessions(app, client, lawyer, clock, db_session):
    _staff, seed = lawyer
    other = app.test_client()
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    clock[0] += STEP  # a code signs in once
    sign_in(other, "alice", PASSWORD, code_now(seed, clock))
    assert other.get("/staff").status_code == 200

    post(client, "/staff/sign-out-everywhere")

    assert other.get("/staff").status_code == 302
    assert client.get("/staff").status_code == 302
    assert ("staff.sign_out_everywhere", {}) in actions(db_session)


def test_each_sign_in_issues_a_new_session(client, lawyer, clock):
    _staff, seed = lawyer
    client.set_cookie(COOKIE_NAME, "planted-by-someone-else")
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    first = staff_cookie(client)
    clock[0] += STEP
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    second = staff_cookie(client)

    assert first not in (None, "planted-by-someone-else")
    assert second is not None
    assert first != second


def test_a_forged_cookie_is_not_a_session(client, lawyer):
    client.set_cookie(COOKIE_NAME, "eyJzdGFmZl9pZCI6MX0.forged")

    assert client.get("/staff").status_code == 302


# --- a code signs in once -----------------------------------------------------------------------


def wrong_code(seed: str, clock) -> str:
    return "000000" if code_now(seed, clock) != "000000" else "111111"


def failure_reasons(db_session) -> list[str]:
    return [d["reason"] for action, d in actions(db_session) if action == "staff.sign_in_failed"]


def test_a_code_that_signed_in_once_is_refused_like_a_wrong_code(app, client, lawyer, clock):
    _staff, seed = lawyer
    code = code_now(seed, clock)
    assert sign_in(client, "alice", PASSWORD, code).status_code == 302

    # Someone who saw the code types it within the same 30 seconds
    replayer = app.test_client()
    reused = sign_in(replayer, "alice", PASSWORD, code)
    wrong = sign_in(app.test_client(), "alice", PASSWORD, wrong_code(seed, clock))

    assert reused.status_code == wrong.status_code == 401
    assert without_token(reused.get_data(as_text=True)) == without_token(
        wrong.get_data(as_text=True)
    )
    assert staff_cookie(replayer) is None
    assert replayer.get("/staff").status_code == 302


def test_a_reused_code_is_audited_as_reused_and_counts_as_a_failure(
    client, lawyer, clock, db_session
):
    _staff, seed = lawyer
    code = code_now(seed, clock)
    sign_in(client, "alice", PASSWORD, code)

    sign_in(client, "alice", PASSWORD, code)

    assert failure_reasons(db_session) == ["code_reused"]
    assert account(db_session, "alice").failed_logins == 1
    everything = " ".join(e.detail for e in db_session.scalars(select(AuditEvent)))
    assert code not in everything


def test_a_later_code_spends_the_earlier_ones_of_the_window(client, lawyer, clock, db_session):
    _staff, seed = lawyer
    # Given a phone whose clock runs 30 seconds ahead: its code is the next step's
    ahead = pyotp.TOTP(seed).at(clock[0] + STEP)
    assert sign_in(client, "alice", PASSWORD, ahead).status_code == 302
    step = pyotp.TOTP(seed).timecode(clock[0]) + 1
    assert account(db_session, "alice").totp_last_step == step

    # Then neither the current code nor the previous one, both still inside the window, works
    assert sign_in(client, "alice", PASSWORD, code_now(seed, clock)).status_code == 401
    previous = pyotp.TOTP(seed).at(clock[0] - STEP)
    assert sign_in(client, "alice", PASSWORD, previous).status_code == 401
    assert account(db_session, "alice").totp_last_step == step


def test_the_next_code_signs_in_once_its_step_has_come(client, lawyer, clock, db_session):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))

    clock[0] += STEP

    assert sign_in(client, "alice", PASSWORD, code_now(seed, clock)).status_code == 302
    assert account(db_session, "alice").totp_last_step == pyotp.TOTP(seed).timecode(clock[0])


def test_a_refused_sign_in_does_not_spend_the_code(client, lawyer, clock, db_session):
    _staff, seed = lawyer
    code = code_now(seed, clock)

    assert sign_in(client, "alice", "wrong password", code).status_code == 401

    assert account(db_session, "alice").totp_last_step is None
    assert sign_in(client, "alice", PASSWORD, code).status_code == 302


def test_two_requests_racing_with_one_code_cannot_both_spend_it(db_session, lawyer, clock):
    staff, seed = lawyer
    code = code_now(seed, clock)
    first = accept_code(db_session, staff, code=code, data_key=DATA_KEY, now=clock[0])
    # Given a second request that read the account before the first recorded the step
    set_committed_value(staff, "totp_last_step", None)

    second = accept_code(db_session, staff, code=code, data_key=DATA_KEY, now=clock[0])

    assert (first, second) == (CodeVerdict.ACCEPTED, CodeVerdict.REUSED)
    db_session.expire(staff)
    assert staff.totp_last_step == pyotp.TOTP(seed).timecode(clock[0])


@pytest.mark.parametrize("offset", [-1, 0, 1, None])
def test_every_step_of_the_window_is_compared_whatever_matches(monkeypatch, offset):
    seed = totp.new_seed()
    generator = pyotp.TOTP(seed)
    current = generator.timecode(DEFAULT_NOW)
    code = generator.generate_otp(current + offset) if offset is not None else "000000"
    compared = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: compared.append(a) or real(a, b))

    step = totp.matching_step(seed, code, DEFAULT_NOW)

    assert len(compared) == 3  # as long for a right code as for a wrong one
    if offset is not None:
        assert step == current + offset
    elif code not in {generator.generate_otp(current + i) for i in (-1, 0, 1)}:
        assert step is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_anything_but_six_digits_matches_no_step(code):
    assert totp.matching_step(totp.new_seed(), code, DEFAULT_NOW) is None


def test_spaces_inside_a_code_are_forgiven():
    seed = totp.new_seed()
    code = pyotp.TOTP(seed).at(DEFAULT_NOW)

    step = totp.matching_step(seed, f" {code[:3]} {code[3:]} ", DEFAULT_NOW)

    assert step == pyotp.TOTP(seed).timecode(DEFAULT_NOW)


# --- signing out ends that session on the server ------------------------------------------------


@pytest.mark.parametrize("sign_out", ["/staff/sign-out", "/staff/sign-out-everywhere"])
def test_a_copied_cookie_stops_working_after_signing_out(app, client, lawyer, clock, sign_out):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    copied = staff_cookie(client)

    post(client, sign_out)
    thief = app.test_client()
    thief.set_cookie(COOKIE_NAME, copied)
    response = thief.get("/staff")

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"
    assert staff_cookie(thief) is None


def test_a_copy_kept_alive_by_use_dies_with_the_sign_out_too(app, client, lawyer, clock):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    thief = app.test_client()
    thief.set_cookie(COOKIE_NAME, staff_cookie(client))
    # Given a thief who keeps using the copy, so it is refreshed with later instants
    clock[0] += timedelta(minutes=10)
    assert thief.get("/staff").status_code == 200
    assert staff_cookie(thief) != staff_cookie(client)

    post(client, "/staff/sign-out")

    assert thief.get("/staff").status_code == 302


def test_signing_out_in_one_browser_keeps_the_others(app, client, lawyer, clock, db_session):
    _staff, seed = lawyer
    other = app.test_client()
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    clock[0] += STEP
    sign_in(other, "alice", PASSWORD, code_now(seed, clock))

    post(client, "/staff/sign-out")

    assert client.get("/staff").status_code == 302
    assert other.get("/staff").status_code == 200
    assert account(db_session, "alice").session_epoch == 0


def test_signing_out_half_way_through_enrolment_ends_that_session(app, client, newcomer):
    sign_in(client, "bob", "one-time-password")
    copied = staff_cookie(client)

    post(client, "/staff/sign-out", page="/staff/welcome")
    thief = app.test_client()
    thief.set_cookie(COOKIE_NAME, copied)

    assert thief.get("/staff/welcome").headers["Location"] == "/staff/login"


def test_a_sign_out_keeps_a_digest_of_the_session_id_only_while_it_could_live(
    client, lawyer, clock, db_session
):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    sid = decode(SECRET_KEY, staff_cookie(client)).sid

    post(client, "/staff/sign-out")

    [revoked] = db_session.scalars(select(RevokedStaffSession)).all()
    assert revoked.sid_digest == hashlib.sha256(sid.encode()).digest()
    assert revoked.expires_at == DEFAULT_NOW + ABSOLUTE_LIFETIME
    # When another sign-out comes after that session could no longer be used anyway
    clock[0] += ABSOLUTE_LIFETIME + timedelta(seconds=1)
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    post(client, "/staff/sign-out")
    # Then the old record is gone and only the new one is kept
    [latest] = db_session.scalars(select(RevokedStaffSession)).all()
    assert latest.expires_at == clock[0] + ABSOLUTE_LIFETIME


def test_staff_page_views_write_nothing(client, lawyer, clock, db_session):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))
    statements: list[str] = []
    connection = db_session.get_bind()

    def remember(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", remember)
    try:
        for _ in range(3):
            clock[0] += timedelta(minutes=5)
            assert client.get("/staff").status_code == 200
    finally:
        event.remove(connection, "before_cursor_execute", remember)

    assert any("revoked_staff_session" in statement for statement in statements)
    writes = [s for s in statements if s.split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


# --- the staff cookie is the staff surface's alone ----------------------------------------------


def test_the_staff_cookie_is_httponly_strict_and_separate(client, lawyer, clock):
    _staff, seed = lawyer

    response = sign_in(client, "alice", PASSWORD, code_now(seed, clock))

    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE_NAME)]
    assert len(cookies) == 1
    attributes = {part.strip().lower() for part in cookies[0].split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert client.application.config["SESSION_COOKIE_NAME"] != COOKIE_NAME


@pytest.mark.parametrize("path", ["/", "/report", "/follow-up"])
def test_reporter_pages_never_set_or_refresh_the_staff_cookie(client, lawyer, clock, path):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))

    response = client.get(path)

    assert not any(c.startswith(COOKIE_NAME) for c in response.headers.getlist("Set-Cookie"))


# --- first sign-in ------------------------------------------------------------------------------


def new_account(db_session, username: str, role: Role = Role.LAWYER):
    """An account as `staff add` leaves it, with the one-time password "one-time-password"."""
    new = add_staff(
        db_session,
        username=username,
        role=role,
        data_key=DATA_KEY,
        now=DEFAULT_NOW,
        password="one-time-password",
    )
    db_session.commit()
    return new


@pytest.fixture
def newcomer(db_session, line):
    return new_account(db_session, "bob")


def enrolment_seed(staff: Staff) -> str:
    return totp.open_seed(DATA_KEY, staff.totp_secret_encrypted)


def enrol(client, db_session, password: str, code: str, username: str = "bob"):
    """As the welcome page's script does it: keys derived from `password`, a new key pair."""
    staff_id = account(db_session, username).id
    data = enrolment_form(password, username, staff_id, code)
    return post(client, "/staff/welcome", page="/staff/welcome", **data)


def test_first_sign_in_leads_to_enrolment_and_nowhere_else(client, newcomer, db_session):
    response = sign_in(client, "bob", "one-time-password")

    assert response.headers["Location"] == "/staff/welcome"
    assert client.get("/staff").headers["Location"] == "/staff/welcome"
    page = client.get("/staff/welcome").get_data(as_text=True)
    assert '<svg width="' in page
    assert "<path" in page
    seed = enrolment_seed(account(db_session, "bob"))
    assert " ".join(seed[i : i + 4] for i in range(0, len(seed), 4)) in page
    assert seed != newcomer.totp_seed  # a fresh seed at enrolment


def test_enrolment_refuses_a_wrong_code_the_old_password_and_a_lawyer_without_keys(
    client, newcomer, clock, db_session
):
    sign_in(client, "bob", "one-time-password")
    seed = enrolment_seed(account(db_session, "bob"))
    wrong = "000000" if code_now(seed, clock) != "000000" else "111111"
    without_pair = {"new_auth_key": auth_key_for("a brand new passphrase", "bob")}

    assert enrol(client, db_session, "a brand new passphrase", wrong).status_code == 400
    assert enrol(client, db_session, "one-time-password", code_now(seed, clock)).status_code == 400
    no_keys = post(client, "/staff/welcome", "/staff/welcome", **without_pair, code="123456")
    assert no_keys.status_code == 400
    assert account(db_session, "bob").public_key is None
    assert account(db_session, "bob").must_change_password
    assert not account(db_session, "bob").totp_confirmed
    assert client.get("/staff").headers["Location"] == "/staff/welcome"


def test_after_enrolment_the_new_password_and_new_seed_sign_in(
    app, client, newcomer, clock, db_session
):
    # Given a newcomer who sets a password and confirms the new seed
    sign_in(client, "bob", "one-time-password")
    seed = enrolment_seed(account(db_session, "bob"))
    response = enrol(client, db_session, "a brand new passphrase", code_now(seed, clock))
    assert response.headers["Location"] == "/queue"
    assert client.get("/staff").status_code == 200
    # When they sign in again elsewhere, with the next code (the one they enrolled with is spent)
    other = app.test_client()
    clock[0] += STEP
    # Then the one-time password no longer works, the new one with a code does
    assert sign_in(other, "bob", "one-time-password").status_code == 401
    fresh = sign_in(other, "bob", "a brand new passphrase", code_now(seed, clock))
    assert fresh.headers["Location"] == "/queue"
    assert not account(db_session, "bob").must_change_password
    assert account(db_session, "bob").totp_confirmed


def test_enrolment_is_audited(client, newcomer, clock, db_session):
    sign_in(client, "bob", "one-time-password")
    enrol(
        client,
        db_session,
        "a brand new passphrase",
        code_now(enrolment_seed(account(db_session, "bob")), clock),
    )

    recorded = [action for action, _ in actions(db_session)]
    assert recorded[-4:] == [
        "staff.sign_in",
        "staff.key_pair_created",
        "staff.password_changed",
        "staff.totp_enrolled",
    ]


def test_the_code_that_confirmed_enrolment_does_not_sign_in_again(
    app, client, newcomer, clock, db_session
):
    sign_in(client, "bob", "one-time-password")
    seed = enrolment_seed(account(db_session, "bob"))
    code = code_now(seed, clock)
    assert enrol(client, db_session, "a brand new passphrase", code).headers["Location"] == "/queue"

    assert sign_in(app.test_client(), "bob", "a brand new passphrase", code).status_code == 401
    assert failure_reasons(db_session) == ["code_reused"]


def test_a_new_seed_at_enrolment_can_be_confirmed_in_the_same_30_seconds(
    client, lawyer, clock, db_session
):
    # Given an enrolled account that must choose a new password and device again
    account(db_session, "alice").must_change_password = True
    db_session.commit()
    _staff, old_seed = lawyer
    assert sign_in(client, "alice", PASSWORD, code_now(old_seed, clock)).headers["Location"] == (
        "/staff/welcome"
    )
    # When the new seed's code of this very step confirms it
    new_seed = enrolment_seed(account(db_session, "alice"))
    code = code_now(new_seed, clock)
    response = enrol(client, db_session, "a brand new passphrase", code, username="alice")
    # Then it is accepted: no code of the new seed was ever used
    assert response.headers["Location"] == "/queue"
    assert account(db_session, "alice").totp_last_step == pyotp.TOTP(new_seed).timecode(clock[0])


# --- CSRF ---------------------------------------------------------------------------------------


def test_sign_in_without_csrf_token_is_refused(client, lawyer, clock):
    _staff, seed = lawyer
    data = {"username": "alice", "auth_key": auth_key_for(PASSWORD, "alice")}

    response = client.post("/staff/login", data={**data, "code": code_now(seed, clock)})

    assert response.status_code == 400
    assert staff_cookie(client) is None


@pytest.mark.parametrize("path", ["/staff/sign-out", "/staff/sign-out-everywhere"])
def test_sign_out_without_csrf_token_changes_nothing(client, lawyer, clock, path, db_session):
    _staff, seed = lawyer
    sign_in(client, "alice", PASSWORD, code_now(seed, clock))

    assert client.post(path).status_code == 400
    assert client.get("/staff").status_code == 200
    assert account(db_session, "alice").session_epoch == 0


def test_enrolment_without_csrf_token_is_refused(client, newcomer, clock, db_session):
    sign_in(client, "bob", "one-time-password")
    seed = enrolment_seed(account(db_session, "bob"))
    data = enrolment_form("a brand new passphrase", "bob", account(db_session, "bob").id, "")

    response = client.post("/staff/welcome", data={**data, "code": code_now(seed, clock)})

    assert response.status_code == 400
    assert account(db_session, "bob").must_change_password


# --- accounts from before the credential split --------------------------------------------------


def legacy_account(db_session, username: str, *, enrolled: bool = True) -> tuple[Staff, str]:
    """An account as the previous version stored it: argon2id of the password itself."""
    new = add_staff(
        db_session, username=username, role=Role.LAWYER, data_key=DATA_KEY, now=DEFAULT_NOW
    )
    new.staff.password_hash = legacy_password_hash(PASSWORD)
    new.staff.credential_scheme = CredentialScheme.PASSWORD
    new.staff.must_change_password = not enrolled
    new.staff.totp_confirmed = enrolled
    db_session.commit()
    return new.staff, new.totp_seed


def legacy_proof(db_session, username: str, password: str) -> str:
    """What the sign-in page computes in the browser: the old hash's tag, from its parameters."""
    found = passwords.legacy_parameters(account(db_session, username).password_hash)
    assert found is not None
    return b64url_encode(legacy_tag(found, password))


def legacy_sign_in(client, username: str, proof: str, code: str):
    data = {
        "username": username,
        "auth_key": auth_key_for(PASSWORD, username),
        "legacy_proof": proof,
        "code": code,
    }
    return client.post("/staff/login", data={**data, "csrf_token": csrf_token(client)})


def test_an_account_from_before_the_split_proves_its_password_and_is_upgraded(
    client, db_session, line, clock
):
    _staff, seed = legacy_account(db_session, "olga")
    proof = legacy_proof(db_session, "olga", PASSWORD)
    assert 'data-legacy="1"' in client.get("/staff/login").get_data(as_text=True)

    response = legacy_sign_in(client, "olga", proof, code_now(seed, clock))

    assert response.status_code == 302
    upgraded = account(db_session, "olga")
    assert upgraded.credential_scheme is CredentialScheme.SPLIT_V1
    assert passwords.verify_auth_key(upgraded.password_hash, auth_key_bytes(PASSWORD, "olga"))
    assert ("staff.credentials_upgraded", {}) in actions(db_session)
    # From now on the proof is worth nothing; the authentication key alone signs in
    clock[0] += STEP
    assert legacy_sign_in(client, "olga", proof, code_now(seed, clock)).status_code == 302


def test_a_wrong_legacy_proof_is_refused_like_a_wrong_password(client, db_session, line, clock):
    _staff, seed = legacy_account(db_session, "olga")
    wrong = legacy_proof(db_session, "olga", "not the password")

    assert legacy_sign_in(client, "olga", wrong, code_now(seed, clock)).status_code == 401
    assert account(db_session, "olga").credential_scheme is CredentialScheme.PASSWORD


def test_a_legacy_account_that_never_enrolled_cannot_use_a_proof_from_a_database_copy(
    client, db_session, line, clock
):
    # The proof is the tag in the stored hash: a copy of the database holds it
    legacy_account(db_session, "nils", enrolled=False)
    proof = legacy_proof(db_session, "nils", PASSWORD)

    response = legacy_sign_in(client, "nils", proof, "")

    assert response.status_code == 401
    assert account(db_session, "nils").credential_scheme is CredentialScheme.PASSWORD


def test_every_username_gets_legacy_parameters_of_the_same_shape(client, db_session, line):
    legacy_account(db_session, "olga")

    answers = {
        name: client.get(f"/staff/login/legacy?username={name}").get_json()
        for name in ("olga", "nobody-at-all")
    }

    assert answers["olga"].keys() == answers["nobody-at-all"].keys()
    assert answers["olga"]["salt"] != answers["nobody-at-all"]["salt"]
    assert len(answers["olga"]["salt"]) == len(answers["nobody-at-all"]["salt"])
    again = client.get("/staff/login/legacy?username=nobody-at-all").get_json()
    assert again == answers["nobody-at-all"]  # stable: asking twice tells nothing


@pytest.mark.parametrize("username", ["%00", "a%00b", "x" * 300, "%C3%85se%20%C3%B8", "%ED%A0%80"])
def test_a_username_no_account_could_have_gets_decoy_parameters_not_an_error(
    client, db_session, line, username
):
    legacy_account(db_session, "olga")

    response = client.get(f"/staff/login/legacy?username={username}")

    assert response.status_code == 200
    assert set(response.get_json()) == {
        "salt",
        "timeCost",
        "memoryKiB",
        "parallelism",
        "hashLength",
    }
