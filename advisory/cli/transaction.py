"""A command's unit of work: commit what succeeded, or roll back and say why it was refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from advisory.transaction import unit_of_work


@contextmanager
def committed(*refusals: type[Exception]) -> Iterator[None]:
    """Commit when the block ends; a refusal of the given kinds rolls back and becomes the
    command's error message (exit status 1), without a traceback."""
    with unit_of_work(*refusals) as work:
        yield
    if work.refusal is not None:
        raise click.ClickException(str(work.refusal))
