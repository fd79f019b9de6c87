"""Administrators add lines and change their settings in the web; a calendar change is shown
for the next 14 days, holidays named, before it is saved; every change is audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from advisory.line_config import MAX_LENGTHS
from advisory.models import Line, Role
from advisory.services.key_management import open_with_recovery
from advisory.services.line_keys import active_line_key
from tests.conftest import unusable_staff
from tests.reporter_helpers import page_of
from tests.test_admin_staff import TOKEN, audited
from tests.test_queue import sign_in_as

PAGE = "/staff/admin/lines"
FIELDS_SHOWN = re.compile(r'<input[^>]*name="([a-z_]+)"[^>]*type="text"')


@pytest.fixture
def admin(client, db_session, ready) -> int:
    """An administrator signed in on `client`, reading the pages in English."""
    me = ready(Role.ADMIN, username="root")
    sign_in_as(client, db_session, me)
    with client.session_transaction() as session:
        session["lang"] = "en"
    return me.id


@pytest.fixture
def ready(db_session, line):
    def ready(role: Role, **fields):
        staff = unusable_staff(role, must_change_password=False, totp_confirmed=True, **fields)
        db_session.add(staff)
        db_session.flush()
        return staff

    return ready


def token(client, path: str = PAGE) -> str:
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def settings_of(client, slug: str) -> dict[str, str]:
    """What the settings page shows in each field, as the form would post it back."""
    page = page_of(client.get(f"{PAGE}/{slug}"))
    return {field.attrs["name"]: field.value for field in page.find_all("input", type="text")}


def preview_rows(response) -> list[list[str]]:
    """The preview table: day, now, after saving; each cell's words."""
    rows = page_of(response).find_all("tr")
    return [
        [" ".join(cell.text.split()) for cell in row.children if cell.tag in ("th", "td")]
        for row in rows
        if row.find_all("td")
    ]


def save(client, slug: str, **changes: str):
    data = {**settings_of(client, slug), **changes}
    return client.post(f"{PAGE}/{slug}", data={"csrf_token": token(client), "save": "Save", **data})


def line_row(db_session, slug: str) -> Line:
    db_session.expire_all()
    return db_session.scalars(select(Line).where(Line.slug == slug)).one()


def test_the_list_shows_each_line_with_its_address(client, db_session, admin, line):
    page = page_of(client.get(PAGE))

    assert "/l/test/" in page.html
    assert page.find_all("a", href=f"{PAGE}/test")


def test_a_swedish_line_is_added_with_its_own_key_and_audited(client, db_session, admin, line):
    response = client.post(
        PAGE,
        data={
            "csrf_token": token(client),
            "slug": "musikk",
            "name": "Musiklinjen",
            "country": "SE",
        },
    )

    # Then its recovery passphrase is shown this once, never cached
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    shown = page_of(response).by_id("recovery-passphrase").text.strip()
    added = line_row(db_session, "musikk")
    key = active_line_key(db_session, added.id)
    assert key is not None
    [(opened, _private)] = open_with_recovery(db_session, added, shown).keys
    assert opened.key_id == key.key_id
    assert (added.timezone, added.holiday_country, added.default_language) == (
        "Europe/Stockholm",
        "SE",
        "sv",
    )
    assert [action for action, _ in audited(db_session)] == ["line.added", "line_key.created"]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"slug": "Bad Slug", "name": "x"}, "lower-case letters"),
        ({"slug": "test", "name": "x"}, "exists already"),
        ({"slug": "", "name": "x"}, "Give the line an address."),
        ({"slug": "ok", "name": ""}, "Give the line a name."),
    ],
)
def test_a_bad_new_line_is_explained_and_kept(client, db_session, admin, line, data, said):
    response = client.post(PAGE, data={"csrf_token": token(client), "country": "DK", **data})

    assert response.status_code == 400
    assert said in response.get_data(as_text=True)
    assert page_of(response).input_value("name") == data["name"]
    assert [row.slug for row in db_session.scalars(select(Line))] == ["test"]
    assert audited(db_session) == []


def test_the_settings_page_shows_every_setting(client, db_session, admin, line):
    shown = settings_of(client, "test")

    assert shown["weekly_hours"].startswith("mon=09:00-16:00")
    assert shown["emergency_numbers"] == "112=police; 113=ambulance; 110=fire"
    assert len(shown) == 18


def test_no_field_cuts_off_what_its_setting_may_hold(client, db_session, admin, line):
    page = page_of(client.get(f"{PAGE}/test"))

    for name, longest in MAX_LENGTHS.items():
        [field] = page.find_all("input", name=name)
        assert int(field.attrs["maxlength"]) == longest, name


def test_a_calendar_change_is_previewed_with_holidays_before_it_is_saved(
    client, db_session, admin, line
):
    # Given Monday 23 November 2026; the change makes it a Swedish calendar closing Tuesdays
    weekly = "mon=09:00-16:00; wed=09:00-16:00; thu=09:00-16:00; fri=09:00-16:00"

    first = save(client, "test", weekly_hours=weekly, holiday_country="SE")

    # Then nothing is saved yet: the next 14 days are shown as they are and as they would be
    assert first.status_code == 200
    rows = preview_rows(first)
    assert len(rows) == 14
    assert rows[1] == ["Tue 24 Nov", "09:00–16:00", "Closed"]
    assert line_row(db_session, "test").holiday_country == "NO"
    assert audited(db_session) == []

    # When the admin saves what they saw
    previewed = page_of(first).input_value("previewed")
    data = {**settings_of(client, "test"), "weekly_hours": weekly, "holiday_country": "SE"}
    second = client.post(
        f"{PAGE}/test",
        data={"csrf_token": token(client), "save": "Save", "previewed": previewed, **data},
    )

    # Then it is stored and audited, before and after
    assert second.status_code == 302
    assert line_row(db_session, "test").holiday_country == "SE"
    [(action, detail)] = audited(db_session)
    assert action == "line.changed"
    assert detail["holiday_country.before"] == "NO"
    assert detail["holiday_country.after"] == "SE"
    assert detail["weekly_hours.after"] == weekly


def test_the_preview_names_a_holiday_in_the_page_language(client, db_session, ready, clock):
    # Given an administrator reading English on Monday 21 December 2026
    clock[0] = datetime(2026, 12, 21, 9, 0, tzinfo=UTC)
    sign_in_as(client, db_session, ready(Role.ADMIN, username="root"), at=clock[0])
    with client.session_transaction() as session:
        session["lang"] = "en"

    rows = preview_rows(save(client, "test", closed_days="12-23"))

    assert rows[2] == ["Wed 23 Dec", "09:00–16:00", "Closed"]
    assert rows[3] == ["Thu 24 Dec", "Closed (Christmas Eve)", "Closed (Christmas Eve)"]


def test_a_change_beside_the_calendar_is_saved_at_once(client, db_session, admin, line):
    response = save(client, "test", description="Scene og film")

    assert response.status_code == 302
    assert line_row(db_session, "test").description == "Scene og film"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("weekly_hours", "mon=16:00-09:00"),
        ("languages", "nb, fi"),
        ("slot_minutes", str(2**64)),
        ("closed_dates", "9999-99-99"),
        ("emergency_numbers", "112=ghostbusters"),
    ],
)
def test_a_bad_setting_is_explained_beside_its_field_and_kept(
    client, db_session, admin, line, field, value
):
    response = save(client, "test", **{field: value})

    assert response.status_code == 400
    [shown] = page_of(response).find_all("input", name=field)
    assert shown.value == value
    assert shown.parent is not None
    assert "This cannot be used" in shown.parent.text
    assert audited(db_session) == []


def test_an_unknown_line_is_not_found(client, db_session, admin, line):
    assert client.get(f"{PAGE}/nowhere").status_code == 404
    assert client.post(f"{PAGE}/nowhere", data={"csrf_token": token(client)}).status_code == 404
