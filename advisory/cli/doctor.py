"""`flask --app advisory doctor`: is this configuration fit for production?"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from advisory.context import current_settings, db_session, now
from advisory.services.doctor import examine


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check this configuration for a production deployment: one line per problem, each naming
    the setting to change; exits 1 when there is any (and for a development configuration)."""
    settings = current_settings()
    tightened = current_app.extensions.get("advisory_instance_tightened", 0)
    problems = examine(settings, db_session(), now(), tightened_at_start=tightened)
    db_session().rollback()  # it only read
    if settings.development:
        click.echo("ADVISORY_ENV: development, as make run sets it: not for production")
    for problem in problems:
        click.echo(str(problem))
    if problems or settings.development:
        raise SystemExit(1)
    click.echo("No problems found.")
