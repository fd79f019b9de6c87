"""`flask --app advisory demo …`: development helpers for trying the reporter's side alone."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

import crypto
from advisory.cli.transaction import committed
from advisory.context import current_settings, db_session, now
from advisory.database import expecting_writes
from advisory.models import Case, Role, Staff
from advisory.services.demo import DEMO_USERNAMES
from advisory.services.demo_seed import AlreadySeeded, DemoSeedError, seed_demo_year
from advisory.services.replies import ReplyError, record_reply
from advisory.services.sealing import TO_REPORTER, case_context
from advisory.transaction import unit_of_work

demo_group = AppGroup("demo", help="Development helpers (demo data only).")


@demo_group.command("reply")
@click.option("--case", "reference", help="Case reference (default: the newest case).")
def demo_reply(reference: str | None) -> None:
    """Reply to a case as the demo lawyer, with the text read from standard input.

    Not from the command line, where shell history would keep it. The lawyer's own screen
    seals replies in the browser; this command lets the reporter's inbox be tried alone.
    """
    text = sys.stdin.read().strip()
    if not text:
        raise click.ClickException("Type the reply on standard input (it was empty).")
    db = db_session()
    query = select(Case).order_by(Case.received_at.desc())
    if reference:
        query = select(Case).where(Case.reference == reference.upper())
    case = db.scalars(query.limit(1)).first()
    lawyer = db.scalars(select(Staff).where(Staff.username == DEMO_USERNAMES[Role.LAWYER])).first()
    if case is None or lawyer is None:
        raise click.ClickException("No such case, or no demo lawyer (run `make run` first).")
    if case.reporter_public_key is None:
        raise click.ClickException("That case has no reply key.")
    public = crypto.public_key_from_text(case.reporter_public_key)
    envelope = crypto.seal("reply", text, public, case_context(case, TO_REPORTER))
    with committed(ReplyError):
        record_reply(db, case=case, envelope=envelope, author=lawyer, now=now())
    click.echo(f"Replied to case {case.reference}; open /follow-up with its case code to read it.")


@demo_group.command("seed")
@click.option("--if-empty", is_flag=True, help="Quietly do nothing if there are cases already.")
@click.option(
    "--per-day", type=float, default=3.0, show_default=True, help="Cases a day, on average."
)
def demo_seed(if_empty: bool, per_day: float) -> None:
    """Make up a year of synthetic cases for the coordinator's dashboard (demo data only).

    Closed cases are counted into the daily and monthly figures and the old ones deleted,
    as the scheduler's sweeps would; the rest stay as cases. Nothing anyone wrote:
    placeholders sealed to the line key, and sealed fake phone numbers.
    """
    settings = current_settings()
    if settings.secrets is None:
        raise click.ClickException("Run `flask --app advisory init --demo` first.")
    with expecting_writes():
        db = db_session()
        with unit_of_work(DemoSeedError) as work:
            summary = seed_demo_year(
                db, settings, now=now(), data_key=settings.secrets.data_key, per_day=per_day
            )
    if isinstance(work.refusal, AlreadySeeded) and if_empty:
        return
    if work.refusal is not None:
        raise click.ClickException(str(work.refusal))
    click.echo(
        f"Made up {summary.created} cases over the last year: {summary.folded} old ones are "
        f"now only daily figures, {summary.live} are live. Sign in as demo-coordinator and "
        "open /coordinator."
    )
