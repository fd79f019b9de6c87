"""`flask --app advisory audit …`: checking the tamper-evident audit log.

`verify` exits 0 when the chain is intact and 1 at the first broken link, so cron or a
monitoring check can run it as it is.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from advisory import audit
from advisory.context import session
from advisory.models import AuditEvent

audit_group = AppGroup("audit", help="Check the audit log.")


@audit_group.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; name the first event that was changed, removed or reordered."""
    broken = audit.verify_chain(session())
    if broken is not None:
        click.echo(f"audit chain broken at event {broken.event_id}: {broken.reason}", err=True)
        click.get_current_context().exit(1)
    count = session().scalar(select(func.count()).select_from(AuditEvent))
    click.echo(f"audit chain intact: {count} events")
