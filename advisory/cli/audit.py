"""`flask --app advisory audit …`: checking and anchoring the tamper-evident audit log.

`verify` exits 0 when the chain is intact (and matches every anchor given) and 1 with one line
naming the first problem, so cron or a monitoring check can run it as it is. `anchor` sends
the coordinators the log's head to keep outside the database.
"""

from __future__ import annotations

from typing import NoReturn

import click
from flask.cli import AppGroup

from advisory import audit
from advisory.audit import Anchor, ChainKeyMissing
from advisory.context import db_session, now
from advisory.services.audit_anchors import send_anchor
from advisory.transaction import unit_of_work

audit_group = AppGroup("audit", help="Check and anchor the audit log.")


class AnchorParam(click.ParamType):
    name = "SEQ:DIGEST"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Anchor:
        if isinstance(value, Anchor):
            return value
        try:
            return Anchor.parse(str(value))
        except ValueError as exc:
            self.fail(f"{value!r}: {exc}", param, ctx)


@audit_group.command("verify")
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    type=AnchorParam(),
    help="A record from `audit anchor` (repeatable): the log must still hold that event as it was.",
)
def audit_verify(anchors: tuple[Anchor, ...]) -> None:
    """Walk the keyed chain; name the first event that was changed, removed or reordered."""
    try:
        broken = audit.verify_chain(db_session())
    except ChainKeyMissing as exc:
        raise click.ClickException(str(exc)) from None
    if broken is not None:
        _fail(f"audit chain broken at {broken.where}: {broken.reason}")
    for anchor in anchors:
        problem = audit.check_anchor(db_session(), anchor)
        if problem is not None:
            _fail(f"audit log does not match anchor {anchor.seq}: {problem}")
    summary = f"audit chain intact: {audit.event_count(db_session())} events"
    if anchors:
        summary += f"; it matches {len(anchors)} anchor(s)"
    click.echo(summary)


@audit_group.command("anchor")
def audit_anchor() -> None:
    """Send the coordinators the log's head (SEQ:DIGEST) to keep, as a notice and by e-mail."""
    with unit_of_work():
        sent = send_anchor(db_session(), now=now())
    if sent is None:
        click.echo("The audit log is empty: there is nothing to anchor yet.")
        return
    click.echo(f"audit log anchor: {sent.anchor}")
    click.echo(
        "Keep it outside the system; "
        f"`flask --app advisory audit verify --anchor {sent.anchor}` checks the log against it."
    )
    if sent.new:
        click.echo(
            "The coordinators have it as a notice, and by e-mail at the scheduler's next mail "
            "sweep when SMTP is configured."
        )
    else:
        click.echo("The coordinators were sent this anchor before: no new notice.")


def _fail(line: str) -> NoReturn:
    click.echo(line, err=True)
    click.get_current_context().exit(1)
