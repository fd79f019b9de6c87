"""`flask --app advisory …` commands: init, staff, serve."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from flask_migrate import upgrade

from advisory import audit
from advisory.cli_assets import assets_group
from advisory.cli_audit import audit_group
from advisory.cli_demo import demo_group
from advisory.cli_hours import hours_group
from advisory.cli_keys import keys_group
from advisory.cli_report import report_group
from advisory.context import current_settings, now, session
from advisory.devserver import serve
from advisory.extensions import db
from advisory.instance_files import write_private_text
from advisory.instance_secrets import create_secrets_file
from advisory.models import Role
from advisory.scheduler import SchedulerBusy, SchedulerService, run_all_sweeps_once
from advisory.services.demo import create_demo_staff, describe_credentials
from advisory.services.line_keys import AlreadyInitialised, initialise_line, is_initialised
from advisory.services.staff import (
    NewStaff,
    StaffError,
    add_staff,
    deactivate_staff,
    list_staff,
    reactivate_staff,
    reset_staff,
)
from advisory.settings import SECRETS_FILENAME

DEMO_CREDENTIALS_FILE = "demo-staff.txt"


def register_cli(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(staff_group)
    app.cli.add_command(serve_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(hours_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(report_group)
    app.cli.add_command(assets_group)


@click.command("init")
@with_appcontext
@click.option("--force", is_flag=True, help="Start a new line key even if one exists.")
@click.option("--if-needed", is_flag=True, help="Succeed quietly if already initialised.")
@click.option("--demo", is_flag=True, help="Also create demo staff (development only).")
def init_command(force: bool, if_needed: bool, demo: bool) -> None:
    """Create secrets, run migrations, create the line key; print the recovery passphrase once."""
    settings = current_settings()
    upgrade()
    secrets = settings.secrets
    if secrets is None:
        if is_initialised(session()):
            # New secrets would silently orphan every TOTP seed and case lookup.
            raise click.ClickException(
                f"The database is initialised but {settings.instance_path / SECRETS_FILENAME} "
                "is missing: restore it from your backup."
            )
        secrets = create_secrets_file(settings.instance_path)
        audit.use_chain_key(db.engine, secrets.data_key)  # the events below are keyed too
    try:
        new_key = initialise_line(session(), now=now(), force=force, data_key=secrets.data_key)
        created = (
            create_demo_staff(session(), new_key=new_key, data_key=secrets.data_key, now=now())
            if demo
            else []
        )
    except AlreadyInitialised as exc:
        db.session.rollback()
        if if_needed:
            if demo:
                _print_demo_credentials(settings.instance_path)
            return
        raise click.ClickException(
            f"Already initialised ({exc}); use --force for a new key."
        ) from None
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()

    click.echo(f"Line key {new_key.line_key.key_id} created.")
    click.echo(
        "\nRECOVERY PASSPHRASE (shown once; write it down and keep it offline):\n\n"
        f"    {new_key.recovery_passphrase}\n\n"
        "It is the only way to grant the line key to a new lawyer when no one can.\n"
    )
    if created:
        write_private_text(
            settings.instance_path / DEMO_CREDENTIALS_FILE, describe_credentials(created)
        )
        _print_demo_credentials(settings.instance_path)


staff_group = AppGroup("staff", help="Manage staff accounts.")


@staff_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
def staff_add(username: str, role: str) -> None:
    """Add a staff member; prints a one-time password and the TOTP provisioning URI."""
    secrets = current_settings().secrets
    if secrets is None:
        raise click.ClickException("Run `flask --app advisory init` first.")
    try:
        new = add_staff(
            session(), username=username, role=Role(role), data_key=secrets.data_key, now=now()
        )
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    _print_credentials("Added", new)


def _print_credentials(done: str, new: NewStaff) -> None:
    """The one-time password, shown this once (nothing keeps it in clear). No TOTP secret:
    the first sign-in makes a fresh one and shows it as a QR code."""
    click.echo(f"{done} {new.staff.username} ({new.staff.role}).")
    click.echo(f"One-time password (must be changed at first sign-in): {new.one_time_password}")
    click.echo(
        "Give it to them in a safe way. At their first sign-in they choose a password and "
        "connect an authenticator app."
    )


@staff_group.command("list")
def staff_list() -> None:
    """List staff accounts (no secrets)."""
    rows = list_staff(session())
    if not rows:
        click.echo("No staff yet.")
        return
    click.echo(f"{'username':<24} {'role':<12} {'active':<7} {'enrolled':<9} signed in")
    for staff in rows:
        last = (
            staff.last_sign_in_at.isoformat(timespec="minutes")
            if staff.last_sign_in_at
            else "never"
        )
        click.echo(
            f"{staff.username:<24} {staff.role:<12} {'yes' if staff.active else 'no':<7} "
            f"{'yes' if staff.totp_confirmed else 'no':<9} {last}"
        )


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
    try:
        new = action(session(), username=username, data_key=secrets.data_key, now=now())
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
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
    try:
        done = deactivate_staff(session(), username=name, now=now())
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
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


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve_command(host: str, port: int) -> None:
    """Serve for development (with the scheduler, unless turned off); no addresses logged."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not current_settings().embedded_scheduler:
        serve(app, host, port)
        return
    service = SchedulerService(app)
    thread = service.start_in_thread()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        serve(app, host, port)
    finally:
        # Release the lock now, so the next start does not wait for it to go stale.
        service.stop()
        thread.join(timeout=30)


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Run every sweep once and exit (cron, checks).")
def scheduler_command(once: bool) -> None:
    """Run the scheduler on its own; only one per deployment runs sweeps at a time."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        try:
            results = run_all_sweeps_once(app)
        except SchedulerBusy as exc:
            raise click.ClickException(str(exc)) from None
        for name, changed in results.items():
            click.echo(f"{name}: {changed} changed")
        return
    service = SchedulerService(app)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: service.stop())
    service.run_forever()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _print_demo_credentials(instance_path: Path) -> None:
    path = instance_path / DEMO_CREDENTIALS_FILE
    if path.exists():
        click.echo(path.read_text(encoding="utf-8"))
