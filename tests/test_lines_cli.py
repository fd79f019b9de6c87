"""`flask --app advisory lines …` and `hours … --line`: lines are added, shown and changed from
the command line, every change checked, previewed when it moves the calendar, and audited."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from advisory.models import AuditEvent, Line
from advisory.services.line_keys import active_line_key

pytestmark = pytest.mark.usefixtures("line_key")


# Every Monday from 23 November 2026 (the tests' today) for more than three years.
MONDAYS = ", ".join((date(2026, 11, 23) + timedelta(weeks=week)).isoformat() for week in range(165))


def lines(runner, *args: str, input: str | None = None):  # noqa: A002
    return runner.invoke(args=["lines", *args], input=input)


def events(db_session, action: str) -> list[dict]:
    rows = db_session.scalars(select(AuditEvent).where(AuditEvent.action == action))
    return [json.loads(event.detail) for event in rows]


def test_a_swedish_line_is_added_with_its_countrys_holidays_languages_and_numbers(
    runner, db_session
):
    result = lines(runner, "add", "musikk", "--name", "Musiklinjen", "--country", "SE")

    assert result.exit_code == 0, result.output
    line = db_session.scalars(select(Line).where(Line.slug == "musikk")).one()
    assert (line.timezone, line.holiday_country, line.languages) == (
        "Europe/Stockholm",
        "SE",
        "sv, en",
    )
    assert line.emergency_numbers.startswith("112=emergency; 1177=medical_advice")
    assert "Added line musikk." in result.output
    assert [event["line"] for event in events(db_session, "line.added")] == ["musikk"]
    # with a key of its own, whose recovery passphrase is shown this once
    key = active_line_key(db_session, line.id)
    assert key is not None
    assert f"Line key {key.key_id} created for line musikk." in result.output
    assert "RECOVERY PASSPHRASE (shown once" in result.output
    assert [event["line"] for event in events(db_session, "line_key.created")][-1] == "musikk"


def test_list_shows_every_line(runner, db_session):
    lines(runner, "add", "musikk", "--name", "Musiklinjen", "--country", "SE")

    output = lines(runner, "list").output

    assert "main" in output
    assert "musikk" in output
    assert "Europe/Stockholm" in output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["add", "Bad Slug", "--name", "x"], "slug"),
        (["add", "main", "--name", "x"], "exists already"),
        (["add", "ny", "--name", "x", "timezone=Mars/Olympus"], "timezone"),
        (["add", "ny", "--name", "x", "languages=fi"], "languages"),
        (["add", "ny", "--name", "x", "colour=blue"], "no setting"),
        (["set", "nowhere", "name=x"], "No line 'nowhere'"),
        (["set", "main", "slot_minutes=99999999999999999999"], "slot_minutes"),
        (["set", "main", "languages=" + "nb, " * 20], "languages: at most 40 characters"),
        (  # open on Mondays only, and every Monday of the next three years closed
            ["set", "main", "weekly_hours=mon=09:00-16:00", "--yes", f"closed_dates={MONDAYS}"],
            "would not open within three years",
        ),
        (["set", "main", "weekly_hours=mon=16:00-09:00", "--yes"], "weekly_hours"),
    ],
)
def test_a_bad_setting_is_refused_naming_it_and_nothing_is_stored(runner, db_session, args, named):
    before = db_session.scalars(select(Line.slug).order_by(Line.id)).all()

    result = lines(runner, *args)

    assert result.exit_code != 0
    assert named in result.output
    assert db_session.scalars(select(Line.slug).order_by(Line.id)).all() == before
    assert events(db_session, "line.changed") == []


def test_a_calendar_change_shows_both_fortnights_and_waits_for_a_yes(runner, db_session):
    # Given the clock on Monday 23 November 2026; the change closes Tuesdays
    result = lines(
        runner,
        "set",
        "main",
        "weekly_hours=mon=09:00-16:00; wed=09:00-16:00; thu=09:00-16:00; fri=09:00-16:00",
        input="n\n",
    )

    assert result.exit_code != 0  # declined
    assert "Now:" in result.output
    assert "Tue 2026-11-24  09:00-16:00" in result.output
    assert "Tue 2026-11-24  closed" in result.output
    assert "Save this calendar?" in result.output
    line = db_session.scalars(select(Line).where(Line.slug == "main")).one()
    assert "tue=09:00-16:00" in line.weekly_hours
    assert events(db_session, "line.changed") == []


def test_a_confirmed_change_is_stored_and_audited_with_before_and_after(runner, db_session):
    # (a country code typed in lower case is stored as it is written)
    result = lines(runner, "set", "main", "holiday_country=se", "name=Linja", input="y\n")

    assert result.exit_code == 0, result.output
    [detail] = events(db_session, "line.changed")
    assert detail["line"] == "main"
    assert detail["holiday_country.before"] == "NO"
    assert detail["holiday_country.after"] == "SE"
    assert detail["name.after"] == "Linja"
    assert "timezone.before" not in detail  # only what changed


def test_a_change_outside_the_calendar_asks_nothing(runner, db_session):
    result = lines(runner, "set", "main", "description=For the stage and the screen")

    assert result.exit_code == 0, result.output
    assert "Now:" not in result.output
    assert "description: '' -> 'For the stage and the screen'" in result.output


def test_show_prints_every_setting_and_the_next_fourteen_days(runner):
    output = lines(runner, "show", "main").output

    assert "weekly_hours: mon=09:00-16:00" in output
    assert "emergency_numbers: 112=police; 113=ambulance; 110=fire" in output
    assert output.count("2026-1") == 14  # fourteen days from Monday 23 November


def test_hours_answers_for_the_line_named_and_asks_which_when_there_are_several(runner):
    lines(
        runner,
        "add",
        "musikk",
        "--name",
        "Musik",
        "--country",
        "SE",
        "weekly_hours=mon=10:00-12:00",
    )

    # Friday 25 June 2027 is Midsummer Eve: closed in Sweden, open in Norway
    norway = runner.invoke(
        args=["hours", "show", "--line", "main", "--from", "2027-06-25", "--days", "1"]
    )
    sweden = runner.invoke(
        args=["hours", "show", "--line", "musikk", "--from", "2027-06-25", "--days", "1"]
    )
    unnamed = runner.invoke(args=["hours", "due", "2027-06-25T10:00:00+02:00"])
    unknown = runner.invoke(args=["hours", "due", "--line", "jazz", "2027-06-25T10:00:00+02:00"])

    assert "Fri 2027-06-25  09:00-16:00" in norway.output
    assert "Fri 2027-06-25  closed (Midsommarafton)" in sweden.output
    assert unnamed.exit_code == 2
    assert "--line SLUG (lines: main, musikk)" in unnamed.output
    assert unknown.exit_code == 2
    assert "no line 'jazz'" in unknown.output
