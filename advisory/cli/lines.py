"""`flask --app advisory lines …`: add, list, show and change the deployment's lines.

A line's settings are given as `field=value` (the fields of `advisory/line_config.py`, e.g.
`weekly_hours="mon=09:00-15:00; tue=09:00-15:00"`). A change to the calendar shows the next
14 days as they are and as they would be, holidays named, and asks before saving; deadlines
already given to cases stay as they were. Every change is in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable

import click
from flask.cli import AppGroup

from advisory.cli.hours import describe_day, label
from advisory.cli.init import echo_new_line_key
from advisory.cli.tables import echo_table
from advisory.cli.transaction import committed
from advisory.context import current_settings, db_session, now
from advisory.line_config import CALENDAR_FIELDS, FIELDS, LineConfig, LineConfigError, read_config
from advisory.models import Line
from advisory.services.line_keys import start_line_key
from advisory.services.line_settings import (
    PREVIEW_DAYS,
    add_line,
    all_lines,
    change_line,
    check_opens,
    config_of,
    line_by_slug,
    texts_from_settings,
    texts_of,
)

lines_group = AppGroup("lines", help="The advisory lines this deployment serves.")


@lines_group.command("list")
def lines_list() -> None:
    """One row per line."""
    columns = [("slug", 16), ("name", 28), ("country", 8), ("time zone", 20), ("languages", 0)]
    rows = [
        [line.slug, line.name, line.holiday_country or "-", line.timezone, line.languages]
        for line in all_lines(db_session())
    ]
    echo_table(columns, rows, empty="No lines yet: run `flask --app advisory init`.")


@lines_group.command("show")
@click.argument("slug")
def lines_show(slug: str) -> None:
    """Every setting of the line, then its next 14 days."""
    line = _line(slug)
    click.echo(f"slug: {line.slug}")
    for name, value in texts_of(line).items():
        click.echo(f"{name}: {value}")
    click.echo("")
    _echo_preview(config_of(line))


@lines_group.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The line's public name.")
@click.option(
    "--country",
    type=click.Choice(["NO", "SE", "DK", "FI", "IS"], case_sensitive=False),
    help="Start from this country's holidays, time zone, languages and emergency numbers "
    "(default: the deployment's own).",
)
@click.argument("settings", nargs=-1, metavar="[FIELD=VALUE]...")
def lines_add(slug: str, name: str, country: str | None, settings: tuple[str, ...]) -> None:
    """Add a line (its address: /l/SLUG/) with a key of its own; prints its recovery
    passphrase once. Its lawyers are added with `staff add … --line SLUG`."""
    deployment = current_settings()
    if deployment.secrets is None:
        raise click.ClickException("Run `flask --app advisory init` first.")
    texts = {
        **texts_from_settings(deployment, country.upper() if country else None),
        "name": name,
        **_assignments(settings),
    }
    with committed(LineConfigError):
        line = add_line(db_session(), slug=slug, texts=texts, now=now())
        new_key = start_line_key(
            db_session(), line, now=now(), data_key=deployment.secrets.data_key
        )
    click.echo(f"Added line {slug}.")
    echo_new_line_key(new_key)
    _echo_preview(config_of(line))


@lines_group.command("set")
@click.argument("slug")
@click.argument("settings", nargs=-1, required=True, metavar="FIELD=VALUE...")
@click.option("--yes", is_flag=True, help="Save a calendar change without asking.")
def lines_set(slug: str, settings: tuple[str, ...], yes: bool) -> None:
    """Change settings of a line; a calendar change is previewed and confirmed first."""
    line = _line(slug)
    changes = _assignments(settings)
    before = texts_of(line)
    after = {**before, **changes}
    try:
        proposed = (
            check_opens(read_config(after), now()) if not set(changes) - set(FIELDS) else None
        )
    except LineConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if proposed is not None and any(
        before[name] != after[name].strip() for name in CALENDAR_FIELDS & set(changes)
    ):
        click.echo("Now:")
        _echo_preview(config_of(line))
        click.echo("After the change (deadlines already given stay as they are):")
        _echo_preview(proposed)
        if not yes:
            click.confirm("Save this calendar?", abort=True)
    with committed(LineConfigError):
        changed = change_line(db_session(), line, changes, now=now())
    if not changed:
        click.echo("Nothing changed.")
    for name, (old, new) in changed.items():
        click.echo(f"{name}: {old!r} -> {new!r}")


def _line(slug: str) -> Line:
    line = line_by_slug(db_session(), slug)
    if line is None:
        known = ", ".join(line.slug for line in all_lines(db_session())) or "none yet"
        raise click.ClickException(f"No line {slug!r} (lines: {known}).")
    return line


def _assignments(items: Iterable[str]) -> dict[str, str]:
    assignments = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"expected FIELD=VALUE, got {item!r}", param_hint="SETTINGS")
        if name.strip() not in FIELDS:
            raise click.BadParameter(
                f"{name.strip()!r} is no setting; use {', '.join(FIELDS)}", param_hint="SETTINGS"
            )
        assignments[name.strip()] = value
    return assignments


def _echo_preview(config: LineConfig) -> None:
    calendar = config.calendar
    first = calendar.local_date(now())
    for offset in range(PREVIEW_DAYS):
        day = first.fromordinal(first.toordinal() + offset)
        click.echo(f"  {label(day)}  {describe_day(calendar, day)}")
