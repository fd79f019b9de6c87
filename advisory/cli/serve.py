"""`flask --app advisory serve` and `scheduler`: the development server and the sweeps."""

from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from advisory.context import current_settings
from advisory.devserver import serve
from advisory.scheduler import SchedulerBusy, SchedulerService, run_all_sweeps_once

# A TCP port: werkzeug would take 99999 as 99999 - 65536 and serve somewhere unannounced.
PORT = click.IntRange(1, 65535)


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=PORT)
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
