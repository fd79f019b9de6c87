"""`flask --app advisory keys …`: who holds the line key, granting, revoking and rotating it.

Secrets are only ever typed at hidden prompts and never printed, except a new recovery
passphrase that `rotate --new-recovery-passphrase` shows once. A refusal exits non-zero with
one `Error:` line and changes nothing.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from advisory.cli.line_choice import chosen_line, line_option, named_line
from advisory.cli.tables import echo_table, yes_no
from advisory.cli.transaction import committed
from advisory.context import data_key, db_session, now
from advisory.services.key_management import (
    KeyHolding,
    KeyManagementError,
    grant_line_keys,
    key_holdings,
    lawyer_for_grant,
    revoke_by_username,
    rotate_line_key,
)

MINUTE = "%Y-%m-%d %H:%M"

keys_group = AppGroup("keys", help="Grant, revoke, rotate and list the line key.")


@keys_group.command("grant")
@click.argument("username")
@click.option(
    "--line",
    "slug",
    metavar="SLUG",
    help="Which of the lawyer's lines (default: their own line, the first they were given).",
)
def keys_grant(username: str, slug: str | None) -> None:
    """Give a lawyer a line's key (current and retired), opened with that line's recovery
    passphrase.

    For the day no lawyer holding the key is left; otherwise a colleague grants it from the
    Colleagues page. The key is sealed to the lawyer's own public key, made in their browser
    at their first sign-in: compare its fingerprint with what they see on their page.
    """
    line = named_line(slug) if slug is not None else None
    with committed(KeyManagementError):
        staff = lawyer_for_grant(db_session(), username)
        recovery = click.prompt("Recovery passphrase", hide_input=True)
        grant = grant_line_keys(
            db_session(),
            staff=staff,
            recovery_passphrase=recovery,
            data_key=data_key(),
            now=now(),
            line=line,
        )
    click.echo(f"Granted line key(s) {', '.join(grant.granted)} to {grant.staff.username}.")
    click.echo(
        f"Sealed to the key with fingerprint {grant.fingerprint}: {grant.staff.username} sees "
        "their own fingerprint on their Colleagues page. If the two differ, revoke at once."
    )
    if grant.unopened:
        click.echo(
            f"Not granted: {', '.join(grant.unopened)} (the recovery passphrase does not open "
            "them; they may be under an earlier one). Cases sealed to them stay unreadable to "
            f"{grant.staff.username}."
        )


@keys_group.command("revoke")
@click.argument("username")
def keys_revoke(username: str) -> None:
    """Delete every line key wrapped for a staff member (for someone who leaves the line)."""
    with committed(KeyManagementError):
        held = revoke_by_username(db_session(), username=username, now=now())
    name = username.strip().lower()
    if held:
        click.echo(f"Deleted {name}'s wrapped line key(s): {', '.join(held)}.")
    else:
        click.echo(f"{name} held no line key; nothing to delete.")


@keys_group.command("rotate")
@click.option(
    "--new-recovery-passphrase",
    is_flag=True,
    help="Also replace the recovery passphrase; the new one is printed once.",
)
@line_option
def keys_rotate(new_recovery_passphrase: bool, slug: str | None) -> None:
    """Start a new line key; the old one is retired, and stays readable to those who hold it."""
    line = chosen_line(slug)
    with committed(KeyManagementError):
        recovery = click.prompt("Recovery passphrase", hide_input=True)
        rotation = rotate_line_key(
            db_session(),
            line=line,
            recovery_passphrase=recovery,
            now=now(),
            new_recovery_passphrase=new_recovery_passphrase,
            data_key=data_key(),
        )

    click.echo(f"Line key {rotation.line_key.key_id} created; {rotation.retired.key_id} retired.")
    if rotation.new_recovery_passphrase is not None:
        click.echo(
            "\nNEW RECOVERY PASSPHRASE (shown once; write it down and keep it offline):\n\n"
            f"    {rotation.new_recovery_passphrase}\n\n"
            f"It now opens {', '.join([rotation.line_key.key_id, *rotation.rewrapped])}; "
            "the old passphrase no longer does.\n"
        )
        if rotation.not_rewrapped:
            click.echo(f"Still under an earlier passphrase: {', '.join(rotation.not_rewrapped)}.\n")
    else:
        click.echo("It is wrapped under the same recovery passphrase.")
    if rotation.lawyers_to_grant:
        click.echo(
            "\nThese lawyers must be granted the new key (`flask --app advisory keys grant "
            f"USERNAME --line {line.slug}`, or by a colleague who holds it); until then they "
            "can read old cases but not new ones:"
        )
        for username in rotation.lawyers_to_grant:
            click.echo(f"  {username}")
    else:
        click.echo("\nNo lawyer held the old key; grant the new one with `keys grant USERNAME`.")


@keys_group.command("list")
def keys_list() -> None:
    """List line keys, when they were created and retired, and who holds each (no secrets)."""
    columns = [
        ("line", 12),
        ("key id", 17),
        ("created", 17),
        ("retired", 17),
        ("recovery", 9),
        ("holders", 0),
    ]
    rows = [_holding_row(holding) for holding in key_holdings(db_session())]
    echo_table(columns, rows, empty="No line key yet: run `flask --app advisory init`.")


def _holding_row(holding: KeyHolding) -> list[str]:
    key = holding.line_key
    holders = ", ".join(
        staff.username if staff.active else f"{staff.username} (inactive)"
        for staff in holding.holders
    )
    return [
        key.line.slug,
        key.key_id,
        key.created_at.strftime(MINUTE),
        key.retired_at.strftime(MINUTE) if key.retired_at else "active",
        yes_no(holding.has_recovery),
        holders or "-",
    ]
