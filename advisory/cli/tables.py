"""Plain-text tables for list commands: fixed-width columns, the last one as long as it needs."""

from __future__ import annotations

from collections.abc import Sequence

import click


def echo_table(
    columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[str]], *, empty: str
) -> None:
    """Print a header and one line per row, or `empty` when there are no rows; `columns` are
    (heading, width) pairs."""
    if not rows:
        click.echo(empty)
        return
    click.echo(_line([heading for heading, _ in columns], columns))
    for row in rows:
        click.echo(_line(row, columns))


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _line(cells: Sequence[str], columns: Sequence[tuple[str, int]]) -> str:
    widths = [width for _, width in columns[:-1]]
    padded = [f"{cell:<{width}}" for cell, width in zip(cells, widths, strict=False)]
    return " ".join([*padded, *cells[len(widths) :]])
