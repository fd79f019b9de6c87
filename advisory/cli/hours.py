"""`flask --app advisory hours …`: the line's calendar from the command line.

`due` and `between` each print one machine-readable value (an ISO 8601 instant; whole seconds)
for scripts and for staff checking a deadline; `show` lists the coming days for people.
All three read the calendar of a line (`--line SLUG`; the only line when there is one), so they
answer for the line as configured.
Bad input is a usage error: one `Error:` line naming what was wrong, exit status 2.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import click
from flask.cli import AppGroup

from advisory.cli.line_choice import chosen_line, line_option
from advisory.context import now
from advisory.hours import WEEKDAYS, Calendar
from advisory.services.line_settings import config_of

EXAMPLE = "2027-03-24T17:00:00+01:00"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MAX_DAYS = 366

T = TypeVar("T")


class AwareTimestamp(click.ParamType):
    """An ISO 8601 timestamp with a UTC offset; a naive one is refused, never guessed."""

    name = "ISO-TIMESTAMP"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            parsed = value
        else:
            try:
                parsed = datetime.fromisoformat(str(value))
            except ValueError:
                self.fail(f"{value!r} is not an ISO 8601 timestamp, e.g. {EXAMPLE}", param, ctx)
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail(f"{value!r} needs a time zone offset, e.g. {EXAMPLE}", param, ctx)
        return parsed


AWARE_TIMESTAMP = AwareTimestamp()

hours_group = AppGroup("hours", help="Opening hours and deadlines of a line, as configured.")


def line_calendar(slug: str | None) -> Calendar:
    return config_of(chosen_line(slug)).calendar


@hours_group.command("due")
@click.argument("received_at", metavar="ISO-TIMESTAMP", type=AWARE_TIMESTAMP)
@line_option
def hours_due(received_at: datetime, slug: str | None) -> None:
    """Print the callback deadline for a case received at ISO-TIMESTAMP."""
    calendar = line_calendar(slug)
    due = _calendar_answer(lambda: calendar.callback_due(received_at), received_at)
    click.echo(due.isoformat(timespec="microseconds" if received_at.microsecond else "seconds"))


@hours_group.command("between")
@click.argument("start", metavar="START", type=AWARE_TIMESTAMP)
@click.argument("end", metavar="END", type=AWARE_TIMESTAMP)
@line_option
def hours_between(start: datetime, end: datetime, slug: str | None) -> None:
    """Print the opening time inside [START, END) in whole seconds (rounded down)."""
    if end < start:
        raise click.BadParameter(
            f"{end.isoformat()} is before START {start.isoformat()}", param_hint="'END'"
        )
    calendar = line_calendar(slug)
    opening = _calendar_answer(lambda: calendar.opening_time_between(start, end), end)
    click.echo(opening // timedelta(seconds=1))


@hours_group.command("show")
@click.option(
    "--days",
    default=14,
    show_default=True,
    type=click.IntRange(1, MAX_DAYS),
    help="How many days to list.",
)
@click.option(
    "--from",
    "first_day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day (YYYY-MM-DD); default: today in the line's time zone.",
)
@line_option
def hours_show(days: int, first_day: datetime | None, slug: str | None) -> None:
    """List the opening hours of the coming days, and why closed days are closed."""
    calendar = line_calendar(slug)
    start = first_day.date() if first_day else _local_today(calendar)
    try:
        last = start + timedelta(days=days - 1)
    except OverflowError:
        raise click.BadParameter(
            f"{days} days from {start.isoformat()} run past 9999-12-31", param_hint="'--days'"
        ) from None
    click.echo(f"Opening hours in {calendar.timezone}, {label(start)} to {label(last)}:")
    for offset in range(days):
        day = start + timedelta(days=offset)
        click.echo(f"{label(day)}  {describe_day(calendar, day)}")


def _calendar_answer(compute: Callable[[], T], given: datetime) -> T:
    """Run a calendar computation; turn its refusals into a usage error rather than a trace."""
    try:
        return compute()
    except OverflowError:
        # The search for opening time ran past 31 December 9999.
        reason = "too close to the end of the calendar (year 9999)"
    except ValueError as exc:
        reason = str(exc)
    raise click.UsageError(f"no answer for {given.isoformat()}: {reason}")


def _local_today(calendar: Calendar) -> date:
    # The line's date, not UTC's: at 00:30 in Oslo it is still yesterday in UTC.
    return calendar.local_date(now())


def label(day: date) -> str:
    return f"{_weekday(day)} {day.isoformat()}"


def _weekday(day: date) -> str:
    # Our own names: strftime("%a") follows the server's locale.
    return WEEKDAYS[day.weekday()].capitalize()


def describe_day(calendar: Calendar, day: date) -> str:
    intervals = calendar.open_intervals(day)
    if not intervals:
        return f"closed ({_closed_reason(calendar, day)})"
    hours = ", ".join(f"{opens:%H:%M}-{closes:%H:%M}" for opens, closes in intervals)
    return f"{hours} (special hours)" if day in calendar.exceptions else hours


def _closed_reason(calendar: Calendar, day: date) -> str:
    """Why `day` has no opening time; a holiday's own name is the most telling reason."""
    holiday = calendar.holiday_name(day)
    if day in calendar.exceptions:
        return "special hours: closed"
    if holiday is not None:
        return holiday
    if (day.month, day.day) in calendar.closed_days:
        return f"{day.day} {MONTHS[day.month - 1]}"
    if day in calendar.closed_dates:
        return "closed date in the settings"
    if day.weekday() not in calendar.weekly_hours:
        return "weekend" if day.weekday() >= 5 else f"never open on {_weekday(day)}s"
    return "no opening time left this day"
