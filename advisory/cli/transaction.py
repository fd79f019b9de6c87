"""A command's unit of work: commit what succeeded, or roll back and say why it was refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from advisory.extensions import db


@contextmanager
def committed(*refusals: type[Exception]) -> Iterator[None]:
    """Commit when the block ends; a refusal of the given kinds rolls back and becomes the
    command's error message (exit status 1), without a traceback."""
    try:
        yield
    except refusals as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
