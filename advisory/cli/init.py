"""`flask --app advisory init`: secrets, migrations, the line key, and demo staff in development."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_migrate import upgrade

from advisory import audit
from advisory.context import current_settings, db_session, now
from advisory.extensions import db
from advisory.instance_files import write_private_text
from advisory.instance_secrets import create_secrets_file
from advisory.models import Role
from advisory.services.demo import create_demo_line, create_demo_staff, describe_credentials
from advisory.services.line_keys import (
    AlreadyInitialised,
    NewLineKey,
    initialise_line,
    is_initialised,
)
from advisory.services.line_settings import texts_from_settings
from advisory.services.staff import StaffError
from advisory.settings import SECRETS_FILENAME
from advisory.transaction import unit_of_work

DEMO_CREDENTIALS_FILE = "demo-staff.txt"


@click.command("init")
@with_appcontext
@click.option("--force", is_flag=True, help="Start a new line key even if one exists.")
@click.option("--if-needed", is_flag=True, help="Succeed quietly if already initialised.")
@click.option("--demo", is_flag=True, help="Also create demo staff (development only).")
def init_command(force: bool, if_needed: bool, demo: bool) -> None:
    """Create secrets, run migrations, create the line key; print the recovery passphrase once."""
    settings = current_settings()
    if demo and not settings.development:
        raise click.ClickException(
            "Demo staff are for development only (ADVISORY_ENV=development, as `make run` "
            "sets it); this configuration is a production one."
        )
    upgrade()
    secrets = settings.secrets
    if secrets is None:
        if is_initialised(db_session()):
            # New secrets would silently orphan every TOTP seed and case lookup.
            raise click.ClickException(
                f"The database is initialised but {settings.instance_path / SECRETS_FILENAME} "
                "is missing: restore it from your backup."
            )
        secrets = create_secrets_file(settings.instance_path)
        audit.use_chain_key(db.engine, secrets.data_key)  # the events below are keyed too
    with unit_of_work(AlreadyInitialised, StaffError) as work:
        new_key = initialise_line(
            db_session(),
            now=now(),
            force=force,
            data_key=secrets.data_key,
            line_settings=texts_from_settings(settings),
        )
        created = []
        demo_key: NewLineKey | None = None
        if demo:
            created = create_demo_staff(
                db_session(), new_key=new_key, data_key=secrets.data_key, now=now()
            )
            demo_key, demo_lawyer = create_demo_line(
                db_session(),
                first_line=new_key.line,
                texts=texts_from_settings(settings, "SE"),
                data_key=secrets.data_key,
                now=now(),
                # The first line's demo lawyer works on both: a lawyer of a network.
                shared_with=[new.staff for new in created if new.staff.role is Role.LAWYER],
            )
            created.append(demo_lawyer)
    if isinstance(work.refusal, StaffError):
        raise click.ClickException(str(work.refusal))
    if work.refusal is not None:
        if if_needed:
            if demo:
                _print_demo_credentials(settings.instance_path)
            return
        raise click.ClickException(
            f"Already initialised ({work.refusal}); use --force for a new key."
        )

    echo_new_line_key(new_key)
    if demo_key is not None:
        echo_new_line_key(demo_key)
    if created:
        write_private_text(
            settings.instance_path / DEMO_CREDENTIALS_FILE, describe_credentials(created)
        )
        _print_demo_credentials(settings.instance_path)


def echo_new_line_key(new_key: NewLineKey) -> None:
    click.echo(f"Line key {new_key.line_key.key_id} created for line {new_key.line.slug}.")
    click.echo(
        "\nRECOVERY PASSPHRASE (shown once; write it down and keep it offline):\n\n"
        f"    {new_key.recovery_passphrase}\n\n"
        "It is the only way to grant the line key to a new lawyer when no one can.\n"
    )


def _print_demo_credentials(instance_path: Path) -> None:
    path = instance_path / DEMO_CREDENTIALS_FILE
    if path.exists():
        click.echo(path.read_text(encoding="utf-8"))
