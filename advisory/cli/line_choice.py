"""`--line SLUG` for commands that act on one line: the only line needs no naming."""

from __future__ import annotations

import click

from advisory.context import db_session
from advisory.models import Line
from advisory.services.line_settings import all_lines, line_by_slug

line_option = click.option(
    "--line", "slug", metavar="SLUG", help="The line (needed when there are several)."
)


def chosen_line(slug: str | None) -> Line:
    """Line SLUG, or the only line; a usage error names the lines there are."""
    lines = all_lines(db_session())
    if not lines:
        raise click.UsageError("Run `flask --app advisory init` first: there is no line yet.")
    known = ", ".join(line.slug for line in lines)
    if slug is None:
        if len(lines) != 1:
            raise click.UsageError(f"name a line with --line SLUG (lines: {known})")
        return lines[0]
    for line in lines:
        if line.slug == slug:
            return line
    raise click.BadParameter(f"no line {slug!r} (lines: {known})", param_hint="'--line'")


def named_line(slug: str) -> Line:
    """Line SLUG; a usage error when there is none."""
    line = line_by_slug(db_session(), slug)
    if line is None:
        raise click.BadParameter(f"no line {slug!r}", param_hint="'--line'")
    return line
