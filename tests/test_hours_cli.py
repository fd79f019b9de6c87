"""`flask --app advisory hours due | between | show`: what they print, what they refuse.

The commands read only a line's calendar and the clock, so one app whose database holds one
Norwegian line serves the whole module (tests/test_lines_cli.py picks among several). The
calendar rules themselves are tested in test_hours.py; here we check that the command line
passes them through faithfully and refuses bad input with exit status 2.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_migrate import upgrade

from advisory import create_app
from advisory.cli.hours import hours_group
from advisory.extensions import db
from advisory.models import Line
from tests.conftest import DEFAULT_NOW, base_env


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    tmp_path: Path = tmp_path_factory.mktemp("hours-cli")
    app = create_app(base_env(tmp_path, f"sqlite:///{tmp_path / 'hours.db'}"))
    app.config["TESTING"] = True
    app.extensions["advisory_clock"] = lambda: DEFAULT_NOW
    with app.app_context():
        upgrade()
        db.session.add(Line(slug="main", name="The line", created_at=DEFAULT_NOW))
        db.session.commit()
    return app


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def set_clock(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Call with an instant to stop the app's clock there; restored after the test."""

    def set_to(instant: datetime) -> None:
        monkeypatch.setitem(app.extensions, "advisory_clock", lambda: instant)

    return set_to


def hours(runner: FlaskCliRunner, *args: str) -> Result:
    return runner.invoke(hours_group, list(args))


def printed(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output.strip()


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("Error:")]


def test_the_app_offers_the_group_as_flask_hours(app: Flask) -> None:
    # The other tests invoke the group directly; this one checks `flask hours` reaches it.
    with click.Context(app.cli) as ctx:
        assert app.cli.get_command(ctx, "hours") is hours_group


# --- due ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Wednesday before Easter 2027 (Maundy Thursday to Easter Monday closed, and the clocks
        # go forward on Easter Sunday): the deadline is Tuesday at closing time, in summer time.
        ("2027-03-24T17:00:00+01:00", "2027-03-30T16:00:00+02:00"),
        # Friday evening → Monday at closing time.
        ("2026-01-16T18:00:00+01:00", "2026-01-19T16:00:00+01:00"),
        # Given in UTC, answered in the line's time zone (winter and summer offsets).
        ("2026-01-13T09:00:00Z", "2026-01-14T10:00:00+01:00"),
        ("2026-06-09T08:00:00+00:00", "2026-06-10T10:00:00+02:00"),
        # Microseconds in, microseconds out.
        ("2026-01-13T10:00:00.250000+01:00", "2026-01-14T10:00:00.250000+01:00"),
    ],
)
def test_due_prints_the_deadline_in_the_lines_time_zone(
    runner: FlaskCliRunner, received: str, due: str
) -> None:
    assert printed(hours(runner, "due", received)) == due


# --- between ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        # An ordinary week, Monday to Monday: five days of 7 hours.
        ("2026-01-12T00:00:00+01:00", "2026-01-19T00:00:00+01:00", 5 * 7 * 3600),
        # The same week written in UTC.
        ("2026-01-11T23:00:00Z", "2026-01-18T23:00:00Z", 5 * 7 * 3600),
        # Easter 2027, Wednesday 17:00 to Tuesday 16:00: only Tuesday counts.
        ("2027-03-24T17:00:00+01:00", "2027-03-30T16:00:00+02:00", 7 * 3600),
        # Rounded down to whole seconds; an empty interval is zero.
        ("2026-01-12T09:00:00+01:00", "2026-01-12T09:00:01.999999+01:00", 1),
        ("2026-01-12T09:00:00+01:00", "2026-01-12T09:00:00+01:00", 0),
    ],
)
def test_between_prints_opening_seconds(
    runner: FlaskCliRunner, start: str, end: str, seconds: int
) -> None:
    assert printed(hours(runner, "between", start, end)) == str(seconds)


# --- show ---------------------------------------------------------------------------------------


def test_show_starts_today_in_the_lines_time_zone_and_names_holidays(
    runner: FlaskCliRunner, set_clock: Callable[[datetime], None]
) -> None:
    # Given 00:30 on Monday 15 May 2028 in Oslo, which is still Sunday 14 May in UTC
    set_clock(datetime(2028, 5, 14, 22, 30, tzinfo=UTC))

    # When
    lines = printed(hours(runner, "show", "--days", "7")).splitlines()

    # Then one header and one line per day, from the local today
    assert len(lines) == 1 + 7
    assert lines[0] == "Opening hours in Europe/Oslo, Mon 2028-05-15 to Sun 2028-05-21:"
    assert lines[1:] == [
        "Mon 2028-05-15  09:00-16:00",
        "Tue 2028-05-16  09:00-16:00",
        "Wed 2028-05-17  closed (Grunnlovsdag)",
        "Thu 2028-05-18  09:00-16:00",
        "Fri 2028-05-19  09:00-16:00",
        "Sat 2028-05-20  closed (weekend)",
        "Sun 2028-05-21  closed (weekend)",
    ]


def test_show_from_a_date_gives_the_reason_for_each_closed_day(runner: FlaskCliRunner) -> None:
    lines = printed(hours(runner, "show", "--from", "2027-12-23", "--days", "10")).splitlines()

    assert lines[1:] == [
        "Thu 2027-12-23  09:00-16:00",
        "Fri 2027-12-24  closed (Julaften)",
        "Sat 2027-12-25  closed (Første juledag)",
        "Sun 2027-12-26  closed (Andre juledag)",
        "Mon 2027-12-27  09:00-16:00",
        "Tue 2027-12-28  09:00-16:00",
        "Wed 2027-12-29  09:00-16:00",
        "Thu 2027-12-30  09:00-16:00",
        "Fri 2027-12-31  closed (Nyttårsaften)",
        "Sat 2028-01-01  closed (Første nyttårsdag)",
    ]


def test_show_lists_fourteen_days_by_default(runner: FlaskCliRunner) -> None:
    lines = printed(hours(runner, "show")).splitlines()

    # DEFAULT_NOW is Monday 23 November 2026.
    assert lines[0] == "Opening hours in Europe/Oslo, Mon 2026-11-23 to Sun 2026-12-06:"
    assert len(lines) == 1 + 14


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("due", "yesterday"), "'yesterday' is not an ISO 8601 timestamp"),
        (
            ("due", "2027-03-24T17:00:00"),
            "needs a time zone offset, e.g. 2027-03-24T17:00:00+01:00",
        ),
        (("due", "2027-03-24"), "needs a time zone offset"),
        (("due", "9999-12-31T12:00:00+01:00"), "too close to the end of the calendar"),
        (("between", "2026-01-12T09:00:00+01:00", "soon"), "'soon' is not an ISO 8601 timestamp"),
        (("between", "2026-01-12T09:00:00", "2026-01-13T09:00:00+01:00"), "time zone offset"),
        (
            ("between", "2026-01-19T00:00:00+01:00", "2026-01-12T00:00:00+01:00"),
            "Invalid value for 'END': 2026-01-12T00:00:00+01:00 is before START",
        ),
        (("show", "--days", "0"), "Invalid value for '--days': 0 is not in the range"),
        (("show", "--days", "367"), "Invalid value for '--days': 367 is not in the range"),
        (("show", "--from", "17.05.2027"), "Invalid value for '--from': '17.05.2027'"),
        (("show", "--from", "9999-12-30", "--days", "3"), "run past 9999-12-31"),
    ],
)
def test_bad_input_is_a_usage_error_with_one_line_naming_it(
    runner: FlaskCliRunner, args: tuple[str, ...], message: str
) -> None:
    result = hours(runner, *args)

    assert result.exit_code == 2, result.output
    errors = error_lines(result)
    assert len(errors) == 1, result.output
    assert message in errors[0]
