"""`flask --app advisory metrics`: /metrics for Prometheus, on an address of its own."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from advisory.cli.serve import PORT
from advisory.devserver import serve_until_interrupted
from advisory.metrics.exposition import MULTIPROCESS_VARIABLE, multiprocess_dir
from advisory.metrics.server import METRICS_PATH, make_metrics_server


@click.command("metrics")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9464, show_default=True, type=PORT)
def metrics_command(host: str, port: int) -> None:
    """Serve /metrics (Prometheus text) on HOST:PORT; nothing else is served there."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if multiprocess_dir() is None:
        click.echo(
            f"{MULTIPROCESS_VARIABLE} is not set: only the figures read from the database are "
            "served; request counts and sweep times stay in the processes that made them.",
            err=True,
        )
    server = make_metrics_server(app, host, port)
    click.echo(f"Serving metrics on http://{host}:{server.port}{METRICS_PATH}")
    serve_until_interrupted(server)
