"""`flask --app advisory assets …`: the integrity manifest of the static files.

`manifest` prints one line per file under advisory/static, sorted by path: the path, two
spaces and the file's Subresource Integrity digest (`sha384-<base64>`), the same value the
pages put in their `integrity` attributes and import map. Run in a checkout of a release, it
gives what a live server must send; compare the two to audit a server.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from advisory.assets import app_assets

assets_group = AppGroup("assets", help="Subresource Integrity of the static files.")


@assets_group.command("manifest")
def assets_manifest() -> None:
    """Print `path  sha384-…` for every static file, sorted by path."""
    for path, digest in app_assets(current_app).manifest.items():
        click.echo(f"{path}  {digest}")
