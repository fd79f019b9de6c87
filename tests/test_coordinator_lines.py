"""A coordinator sees the figures of the lines they are given: one line's, or a network's
summed; given none, every line together. Administrators give lines in the web and from the
command line, and the audit log records it."""

from __future__ import annotations

import csv
import io
import json
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from advisory.auth import sessions
from advisory.models import AuditEvent, Line, Notification, Role, StaffLine
from advisory.services.line_settings import add_line, change_line, texts_of
from advisory.services.notifications import NotificationKind, notify
from advisory.services.outbox import recipients_for
from tests.conftest import DEFAULT_NOW, new_case, unusable_staff
from tests.test_queue import SECRET_KEY, sign_in_as

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def two_lines(db_session, line_key):
    """The first line with 5 cases and a second, `musikk`, with 7 (so both counts show)."""
    first = line_key.line
    musikk = add_line(
        db_session, slug="musikk", texts={**texts_of(first), "name": "Musikk"}, now=DEFAULT_NOW
    )
    for number in range(5):
        db_session.add(new_case(first.id, reference=f"MAIN-{number:04d}"))
    for number in range(7):
        db_session.add(new_case(musikk.id, reference=f"MUSK-{number:04d}"))
    db_session.commit()
    return first.id, musikk.id


def staff(db_session, role: Role, username: str):
    member = unusable_staff(
        role, username=username, must_change_password=False, totp_confirmed=True
    )
    db_session.add(member)
    db_session.commit()
    return member


def received_total(client) -> int:
    """The grand total of reports received in 2026, from the yearly report's CSV."""
    text = client.get("/coordinator/report.csv?year=2026").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    totals = [row for row in rows if row and row[0] in ("Total", "Totalt", "I alt", "Totalt:")]
    return int(totals[0][-1])


def audited(db_session, action: str) -> list[dict]:
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == action))
    return [json.loads(event.detail) for event in events]


def test_a_coordinator_is_given_a_line_from_the_command_line(runner, db_session, two_lines):
    staff(db_session, Role.COORDINATOR, "kari")

    one = runner.invoke(args=["staff", "lines", "kari", "--line", "musikk"])
    every = runner.invoke(args=["staff", "lines", "kari"])

    assert one.exit_code == 0, one.output
    assert "kari sees the figures of musikk." in one.output
    assert every.exit_code == 0, every.output
    assert "kari sees the figures of every line." in every.output
    assert db_session.scalars(select(StaffLine)).all() == []
    assert [event["lines"] for event in audited(db_session, "staff.lines")] == [
        "musikk",
        "every line",
    ]


@pytest.mark.parametrize(
    ("username", "args", "said"),
    [
        ("root", ["--line", "musikk"], "only coordinators and lawyers"),
        ("kari", ["--line", "jazz"], "no line 'jazz'"),
        ("nobody", [], "no staff member"),
    ],
)
def test_only_coordinators_and_lawyers_are_given_lines_that_exist(
    runner, db_session, two_lines, username, args, said
):
    staff(db_session, Role.COORDINATOR, "kari")
    staff(db_session, Role.ADMIN, "root")

    result = runner.invoke(args=["staff", "lines", username, *args])

    assert result.exit_code != 0
    assert said in result.output
    assert db_session.scalars(select(StaffLine)).all() == []


def test_an_admin_gives_a_coordinator_lines_in_the_web(client, db_session, two_lines):
    _first, musikk = two_lines
    kari = staff(db_session, Role.COORDINATOR, "kari")
    admin = staff(db_session, Role.ADMIN, "root")
    sign_in_as(client, db_session, admin)
    page = client.get("/staff/admin/staff").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    assert f'action="/staff/admin/staff/{kari.id}/lines"' in page

    saved = client.post(
        f"/staff/admin/staff/{kari.id}/lines", data={"csrf_token": token, "line": str(musikk)}
    )
    forged = client.post(
        f"/staff/admin/staff/{kari.id}/lines", data={"csrf_token": token, "line": "999999"}
    )

    huge = client.post(
        f"/staff/admin/staff/{kari.id}/lines", data={"csrf_token": token, "line": "1" * 5000}
    )
    foreign_digit = client.post(
        f"/staff/admin/staff/{kari.id}/lines", data={"csrf_token": token, "line": "٣"}
    )

    assert saved.status_code == 302
    assert forged.status_code == 400
    assert huge.status_code == 400
    assert foreign_digit.status_code == 400  # refused, not read as "every line"
    given = db_session.scalars(select(StaffLine.line_id).where(StaffLine.staff_id == kari.id))
    assert given.all() == [musikk]


def test_each_coordinator_sees_their_lines_figures(app, db_session, two_lines):
    first, musikk = two_lines
    of_musikk = staff(db_session, Role.COORDINATOR, "kari")
    network = staff(db_session, Role.COORDINATOR, "nils")
    everyone = staff(db_session, Role.COORDINATOR, "eva")
    db_session.add(StaffLine(staff_id=of_musikk.id, line_id=musikk))
    db_session.add_all(StaffLine(staff_id=network.id, line_id=line) for line in (first, musikk))
    members = [
        (member.username, member.id, member.session_epoch)
        for member in (of_musikk, network, everyone)
    ]
    db_session.commit()

    totals, pages = {}, {}
    for username, staff_id, epoch in members:
        client = app.test_client()
        started = sessions.start_session(staff_id, epoch, DEFAULT_NOW, enrolling=False)
        client.set_cookie(sessions.COOKIE_NAME, sessions.encode(SECRET_KEY, started))
        with client.session_transaction() as session:
            session["lang"] = "en"
        totals[username] = received_total(client)
        pages[username] = client.get("/coordinator").get_data(as_text=True)

    assert "Figures of Musikk." in pages["kari"]
    assert "Figures of Advisory Line, Musikk together." in pages["nils"]

    assert totals == {"kari": 7, "nils": 12, "eva": 12}


def test_a_coordinator_given_a_line_hears_only_of_its_cases(client, db_session, two_lines):
    first, musikk = two_lines
    kari = staff(db_session, Role.COORDINATOR, "kari")
    kari.email = "kari@example.org"
    eva = staff(db_session, Role.COORDINATOR, "eva")
    eva.email = "eva@example.org"
    db_session.add(StaffLine(staff_id=kari.id, line_id=musikk))
    for reference in ("MAIN-0001", "MUSK-0001"):
        notify(
            db_session,
            kind=NotificationKind.DEADLINE_BREACHED,
            dedupe_key=f"breached:{reference}",
            now=DEFAULT_NOW,
            role=Role.COORDINATOR,
            case_reference=reference,
        )
    db_session.commit()
    sign_in_as(client, db_session, kari)

    notices = client.get("/notices").get_data(as_text=True)
    mailed = {
        note.case_reference: recipients_for(db_session, note)
        for note in db_session.scalars(select(Notification))
    }

    assert "MUSK-0001" in notices
    assert "MAIN-0001" not in notices
    assert mailed == {
        "MAIN-0001": ["eva@example.org"],  # the one given no line hears of every line
        "MUSK-0001": ["eva@example.org", "kari@example.org"],
    }


def test_a_coordinators_times_are_in_the_zone_of_their_lines_days(
    app, client, db_session, two_lines
):
    # Given a coordinator of a line in Reykjavik (an hour behind the first line, Oslo, in winter)
    _first, musikk = two_lines
    line = db_session.get(Line, musikk)
    change_line(db_session, line, {"timezone": "Atlantic/Reykjavik"}, now=DEFAULT_NOW)
    kari = staff(db_session, Role.COORDINATOR, "kari")
    db_session.add(StaffLine(staff_id=kari.id, line_id=musikk))
    db_session.commit()
    sign_in_as(client, db_session, kari)
    with client.session_transaction() as session:
        session["lang"] = "en"

    # When they open the dashboard
    page = client.get("/coordinator").get_data(as_text=True)

    # Then "as of" is the clock in Reykjavik, the zone the period's days are counted in
    reykjavik = DEFAULT_NOW.astimezone(ZoneInfo("Atlantic/Reykjavik"))
    assert f"as of {reykjavik:%-d %B %Y %H:%M}." in page


def test_a_deactivated_account_is_given_no_lines_on_the_command_line(runner, db_session, two_lines):
    kari = staff(db_session, Role.COORDINATOR, "kari")
    kari.active = False
    db_session.commit()

    result = runner.invoke(args=["staff", "lines", "kari", "--line", "musikk"])

    assert result.exit_code != 0
    assert "kari is deactivated: reactivate them first." in result.output
    assert db_session.scalars(select(StaffLine)).all() == []
