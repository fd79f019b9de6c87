"""Staff notices in the app: each person sees their own and their role's unread notes, by kind
and reference only, and marks them read; nobody can read or mark someone else's."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from advisory.auth.access import access_rule, is_staff_endpoint
from advisory.models import Notification, Role
from advisory.notices.routes import notice_title
from advisory.services.notifications import NotificationKind
from tests.conftest import DEFAULT_NOW
from tests.reporter_helpers import page_of, set_up_line_key
from tests.support.notices import announce
from tests.test_queue import sign_in_as

REFERENCE = "K7QF-9M2X"
ITEM = {"class": "notice-item"}


@pytest.fixture
def staff(make_staff):
    def ready(role: Role):
        return make_staff(role, must_change_password=False, totp_confirmed=True)

    return ready


def note(db_session, kind, key, *, staff_id=None, role=None, minutes_ago=0, reference=REFERENCE):
    now = DEFAULT_NOW - timedelta(minutes=minutes_ago)
    created = announce(
        db_session, kind, key, now=now, staff_id=staff_id, role=role, case_reference=reference
    )
    assert created is not None
    return created.id


def listed(response) -> list[str]:
    return [" ".join(item.text.split()) for item in page_of(response).find_all("li")]


def test_a_lawyer_sees_own_and_role_notes_newest_first_and_no_one_elses(client, db_session, staff):
    me, colleague = staff(Role.LAWYER), staff(Role.LAWYER)
    note(db_session, NotificationKind.DEADLINE_AT_RISK, "a", staff_id=me.id, minutes_ago=30)
    note(db_session, NotificationKind.CASE_ASSIGNED, "b", role=Role.LAWYER, reference="ABCD-EFGH")
    note(db_session, NotificationKind.CALLBACK_REMINDER, "c", staff_id=colleague.id)
    note(db_session, NotificationKind.CAPACITY_WARNING, "d", role=Role.COORDINATOR)
    sign_in_as(client, db_session, me)

    response = client.get("/notices")

    assert response.status_code == 200
    page = page_of(response)
    items = page.find_all("li", **ITEM)
    texts = [" ".join(item.text.split()) for item in items]
    assert len(items) == 2
    assert texts[0].startswith("Sak tildelt deg – ABCD-EFGH")
    assert texts[1].startswith("Fristen er i fare – K7QF-9M2X")
    # Lawyers may open the case from the notice
    assert page.find_all("a", href=f"/cases/{REFERENCE}")
    # And the staff menu counts what is unread
    assert "Varsler (2 uleste)" in response.get_data(as_text=True)


def test_a_coordinator_sees_references_without_links(client, db_session, staff):
    coordinator = staff(Role.COORDINATOR)
    note(db_session, NotificationKind.CAPACITY_WARNING, "cap", role=Role.COORDINATOR)
    sign_in_as(client, db_session, coordinator)

    response = client.get("/notices")

    page = page_of(response)
    [item] = page.find_all("li", **ITEM)
    assert REFERENCE in item.text
    assert not [a for a in page.find_all("a") if REFERENCE in a.attrs.get("href", "")]


def test_marking_a_role_note_read_clears_it_for_the_whole_role(app, client, db_session, staff):
    me, colleague = staff(Role.LAWYER), staff(Role.LAWYER)
    shared = note(db_session, NotificationKind.CASE_ASSIGNED, "shared", role=Role.LAWYER)
    sign_in_as(client, db_session, me)
    colleagues_browser = app.test_client()
    sign_in_as(colleagues_browser, db_session, colleague)
    token = page_of(client.get("/notices")).input_value("csrf_token")

    response = client.post(f"/notices/{shared}/read", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/notices")
    db_session.expire_all()
    assert db_session.get(Notification, shared).read_at is not None
    assert page_of(colleagues_browser.get("/notices")).find_all("li", **ITEM) == []


def test_someone_elses_note_cannot_be_marked_and_answers_as_if_missing(client, db_session, staff):
    me, colleague = staff(Role.LAWYER), staff(Role.LAWYER)
    theirs = note(db_session, NotificationKind.DEADLINE_AT_RISK, "theirs", staff_id=colleague.id)
    sign_in_as(client, db_session, me)
    token = page_of(client.get("/notices")).input_value("csrf_token")

    other = client.post(f"/notices/{theirs}/read", data={"csrf_token": token})
    missing = client.post(f"/notices/{theirs + 1000}/read", data={"csrf_token": token})

    assert other.status_code == missing.status_code == 404
    db_session.expire_all()
    assert db_session.get(Notification, theirs).read_at is None


def test_mark_all_read_touches_only_this_persons_notes(client, db_session, staff):
    me, colleague = staff(Role.LAWYER), staff(Role.LAWYER)
    mine = note(db_session, NotificationKind.DEADLINE_AT_RISK, "mine", staff_id=me.id)
    role = note(db_session, NotificationKind.CASE_ASSIGNED, "role", role=Role.LAWYER)
    # Notes of a colleague and of the coordinators stay unread
    note(db_session, NotificationKind.DEADLINE_AT_RISK, "theirs", staff_id=colleague.id)
    note(db_session, NotificationKind.CAPACITY_WARNING, "c", role=Role.COORDINATOR)
    sign_in_as(client, db_session, me)
    token = page_of(client.get("/notices")).input_value("csrf_token")

    response = client.post("/notices/read", data={"csrf_token": token})

    assert response.status_code == 303
    db_session.expire_all()
    read = {
        id_
        for id_, read_at in db_session.execute(sa.select(Notification.id, Notification.read_at))
        if read_at is not None
    }
    assert read == {mine, role}
    assert "Ingen uleste varsler." in client.get("/notices").get_data(as_text=True)


def test_marking_read_needs_the_csrf_token(client, db_session, staff):
    me = staff(Role.LAWYER)
    mine = note(db_session, NotificationKind.DEADLINE_AT_RISK, "mine", staff_id=me.id)
    sign_in_as(client, db_session, me)

    assert client.post(f"/notices/{mine}/read").status_code == 400
    assert client.post("/notices/read").status_code == 400
    db_session.expire_all()
    assert db_session.get(Notification, mine).read_at is None


@pytest.mark.parametrize(
    ("role", "work_page"),
    [(Role.LAWYER, "/queue"), (Role.COORDINATOR, "/coordinator"), (Role.ADMIN, "/coordinator")],
)
def test_the_staff_menu_leads_to_the_notices_and_to_each_roles_work(
    client, db_session, staff, role, work_page
):
    sign_in_as(client, db_session, staff(role))

    links = {a.attrs.get("href") for a in page_of(client.get("/notices")).find_all("a")}

    assert {"/notices", work_page} <= links
    assert ({"/queue", "/coordinator"} - {work_page}).isdisjoint(links)


def staff_pages(app, role: Role) -> list[str]:
    """Every page of the staff side without a parameter in its address that `role` may
    open, and the case page for a lawyer."""
    pages = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if is_staff_endpoint(rule.endpoint)
        and "GET" in (rule.methods or set())
        and not rule.arguments
        and may_open(app, rule.endpoint, role)
    ]
    return pages + ([f"/cases/{REFERENCE}"] if role is Role.LAWYER else [])


def may_open(app, endpoint: str, role: Role) -> bool:
    allowed = access_rule(app, endpoint)
    return isinstance(allowed, frozenset) and role in allowed


@pytest.mark.parametrize("role", [Role.LAWYER, Role.COORDINATOR, Role.ADMIN])
def test_every_staff_page_counts_the_unread_notices_in_words(
    app, client, db_session, staff, make_case, role
):
    me = staff(role)
    make_case(reference=REFERENCE)
    note(db_session, NotificationKind.DEADLINE_AT_RISK, "mine", staff_id=me.id)
    note(db_session, NotificationKind.CAPACITY_WARNING, "for the role", role=role)
    set_up_line_key(db_session)
    sign_in_as(client, db_session, me)

    shown = {}
    for path in staff_pages(app, role):
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue  # a download, or a page that sends the visitor on
        links = page_of(response).find_all("a", href="/notices")
        shown[path] = [" ".join(link.text.split()) for link in links]

    # The count is in the link's own text, not only a colour or a badge
    assert len(shown) >= 2
    assert shown == dict.fromkeys(shown, ["Varsler (2 uleste)"])


def test_a_coordinator_sees_an_audit_anchor_with_what_it_is_for(client, db_session, staff):
    coordinator = staff(Role.COORDINATOR)
    anchor = "1234:" + "3f9a" * 16
    key = "audit-anchor:day:2026-11-23"
    announce(
        db_session, NotificationKind.AUDIT_ANCHOR, key, role=Role.COORDINATOR, audit_anchor=anchor
    )
    sign_in_as(client, db_session, coordinator)

    page = page_of(client.get("/notices"))

    [item] = page.find_all("li", **ITEM)
    assert [code.text for code in item.find_all("code")] == [anchor]
    assert "audit verify --anchor" in item.text


def test_every_kind_has_its_own_title_on_the_notices_page(app):
    with app.test_request_context():
        fallback = notice_title("a kind a newer version wrote")
        titles = {kind: notice_title(kind) for kind in NotificationKind}
    assert fallback not in titles.values()
    assert len(set(titles.values())) == len(titles)
