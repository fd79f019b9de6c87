"""`flask --app advisory …`: one module per command group, registered here.

The `demo` group exists only in a development configuration (ADVISORY_ENV=development, as
`make run` sets it): a production instance has no command that makes demo data.
"""

from __future__ import annotations

from flask import Flask

from advisory.cli.assets import assets_group
from advisory.cli.audit import audit_group
from advisory.cli.backup import backup_group
from advisory.cli.demo import demo_group
from advisory.cli.doctor import doctor_command
from advisory.cli.hours import hours_group
from advisory.cli.init import init_command
from advisory.cli.keys import keys_group
from advisory.cli.lines import lines_group
from advisory.cli.metrics import metrics_command
from advisory.cli.report import report_group
from advisory.cli.serve import scheduler_command, serve_command
from advisory.cli.staff import staff_group
from advisory.settings import Settings


def register_cli(app: Flask, settings: Settings) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(staff_group)
    app.cli.add_command(serve_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(hours_group)
    app.cli.add_command(lines_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(backup_group)
    app.cli.add_command(report_group)
    app.cli.add_command(assets_group)
    app.cli.add_command(doctor_command)
    app.cli.add_command(metrics_command)
    if settings.development:
        app.cli.add_command(demo_group)
