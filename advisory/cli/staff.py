"""`flask --app advisory staff …`: add, list, deactivate, reactivate and reset accounts."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask.cli import AppGroup
from sqlalchemy import select

from advisory.cli.line_choice import chosen_line, line_option, named_line
from advisory.cli.tables import echo_table, yes_no
from advisory.cli.transaction import committed
from advisory.context import current_settings, db_session, now
from advisory.models import Role, Staff
from advisory.services.staff import (
    NewStaff,
    StaffError,
    add_staff,
    deactivate_staff,
    list_staff,
    reactivate_staff,
    reset_staff,
)
from advisory.services.staff_lines import give_lines

staff_group = AppGroup("staff", help="Manage staff accounts.")


@staff_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@line_option
def staff_add(username: str, role: str, slug: str | None) -> None:
    """Add a staff member; prints a one-time password (the authenticator secret is shown at
    their first sign-in). A lawyer belongs to a line: `--line SLUG` when there are several."""
    secrets = current_settings().secrets
    if secrets is None:
        raise click.ClickException("Run `flask --app advisory init` first.")
    line_id = chosen_line(slug).id if Role(role) is Role.LAWYER else None
    with committed(StaffError):
        new = add_staff(
            db_session(),
            username=username,
            role=Role(role),
            data_key=secrets.data_key,
            now=now(),
            line_id=line_id,
        )
    _print_credentials("Added", new)


def _print_credentials(done: str, new: NewStaff) -> None:
    """The one-time password, shown this once (nothing keeps it in clear). No TOTP secret:
    the first sign-in makes a fresh one and the welcome page shows it, as a QR code and as
    text; a secret printed here would never be the one that confirms the enrolment."""
    click.echo(f"{done} {new.staff.username} ({new.staff.role}).")
    click.echo(f"One-time password (must be changed at first sign-in): {new.one_time_password}")
    click.echo(
        "Give it to them in a safe way. At their first sign-in (code left empty) they choose "
        "a password and connect an authenticator app with the secret that page shows."
    )


@staff_group.command("list")
def staff_list() -> None:
    """List staff accounts (no secrets)."""
    columns = [("username", 24), ("role", 12), ("active", 7), ("enrolled", 9), ("signed in", 0)]
    rows = [_staff_row(staff) for staff in list_staff(db_session())]
    echo_table(columns, rows, empty="No staff yet.")


def _staff_row(staff: Staff) -> list[str]:
    last = staff.last_sign_in_at
    signed_in = last.isoformat(timespec="minutes") if last is not None else "never"
    return [
        staff.username,
        str(staff.role),
        yes_no(staff.active),
        yes_no(staff.totp_confirmed),
        signed_in,
    ]


@staff_group.command("reactivate")
@click.argument("username")
def staff_reactivate(username: str) -> None:
    """Let a deactivated staff member sign in again, with new one-time credentials."""
    _start_over("Reactivated", reactivate_staff, username)


@staff_group.command("reset")
@click.argument("username")
def staff_reset(username: str) -> None:
    """A forgotten password or a lost authenticator: new one-time credentials, keys dropped."""
    _start_over("Reset", reset_staff, username)


def _start_over(done: str, action: Callable[..., NewStaff], username: str) -> None:
    """Run a service that gives an account new one-time credentials, and show them."""
    secrets = current_settings().secrets
    if secrets is None:
        raise click.ClickException("Run `flask --app advisory init` first.")
    with committed(StaffError):
        new = action(db_session(), username=username, data_key=secrets.data_key, now=now())
    _print_credentials(done, new)
    if new.staff.role is Role.LAWYER:
        click.echo(
            "They hold no line key now. After their first sign-in, a lawyer who holds it gives "
            "it to them from the Colleagues page; if none is left: "
            f"`flask --app advisory keys grant {new.staff.username}`."
        )


@staff_group.command("deactivate")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def staff_deactivate(username: str, yes: bool) -> None:
    """Take a staff member off the line: no sign-in, no sessions, no line key, no open cases."""
    name = username.strip().lower()
    if not yes:
        click.confirm(
            f"Deactivate {name}? They are signed out everywhere, their wrapped line keys are "
            "deleted and their open cases go back to unassigned.",
            abort=True,
        )
    with committed(StaffError):
        done = deactivate_staff(db_session(), username=name, now=now())
    if done.was_active:
        click.echo(f"Deactivated {name}: they cannot sign in, and every session of theirs ended.")
    else:
        click.echo(f"{name} was already inactive; every session of theirs ended.")
    if done.revoked_keys:
        click.echo(f"Deleted their grant(s) of the line key: {', '.join(done.revoked_keys)}.")
    else:
        click.echo("They held no line key.")
    if done.rotation_advised:
        click.echo(
            "The lawyers who hold the line key are offered a new one on their Colleagues page "
            "(or run `flask --app advisory keys rotate`), so new reports are sealed to a key "
            "this person never held."
        )
    if done.unassigned:
        click.echo(
            f"{len(done.unassigned)} open case(s) back to unassigned, for every lawyer of the "
            f"line: {', '.join(done.unassigned)}."
        )
    else:
        click.echo("They had no open cases.")


@staff_group.command("lines")
@click.argument("username")
@click.option(
    "--line",
    "slugs",
    multiple=True,
    metavar="SLUG",
    help=(
        "A line of theirs; repeat for several. A coordinator sees its figures (none: every "
        "line together); a lawyer works its cases (at least one)."
    ),
)
def staff_lines(username: str, slugs: tuple[str, ...]) -> None:
    """Give a coordinator the lines whose figures they see (summed when there are several),
    or a lawyer the lines whose cases they work (their own line stays first if kept)."""
    session = db_session()
    name = username.strip().lower()
    staff = session.scalars(select(Staff).where(Staff.username == name)).first()
    if staff is None:
        raise click.ClickException(f"There is no staff member called {name!r}.")
    line_ids = [named_line(slug).id for slug in dict.fromkeys(slugs)]
    with committed(StaffError):
        given = give_lines(session, staff, line_ids, now=now())
    if staff.role is Role.LAWYER:
        click.echo(f"{name} works on the cases of {', '.join(given)}.")
        return
    click.echo(f"{name} sees the figures of {', '.join(given) if given else 'every line'}.")
