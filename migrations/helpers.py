"""Schema operations that several revisions share.

A revision's schema is written with these, so they stay as they are once a revision uses
them: a change here would rewrite history. They import nothing from the app.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

# What the stats tables count by, besides their period (a day or a month).
STATS_CELL = ("channel", "kind", "reporter_role", "field", "metric", "bucket")
WRAP_OWNER_CHECK = "ck_wrapped_key_owner_matches_kind"


def add_columns(table: str, *columns: sa.Column) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.add_column(column)


def drop_columns(table: str, *names: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_column(name)


def create_indexes(table: str, indexes: Mapping[str, Sequence[str]], **options: Any) -> None:
    """Indexes by name and columns, all made with the same `options` (unique, where, ...)."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, columns in indexes.items():
            batch_op.create_index(name, list(columns), **options)


def drop_indexes(table: str, *names: str, **options: Any) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name in names:
            batch_op.drop_index(name, **options)


def drop_table(table: str, *indexes: str, **index_options: Any) -> None:
    """Drop a table after its indexes."""
    if indexes:
        drop_indexes(table, *indexes, **index_options)
    op.drop_table(table)


def create_stats_table(table: str, period: str) -> None:
    """A table of counts, one row per period and cell."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(period, sa.Date(), nullable=False),
        *(
            sa.Column(name, sa.String(length=32), nullable=False)
            for name in ("channel", "kind", "reporter_role", "field")
        ),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f(f"ck_{table}_count_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(period, *STATS_CELL, name=f"uq_{table}_cell"),
    )


def wrap_kinds(*values: str) -> sa.Enum:
    return sa.Enum(*values, name="wrap_kind", native_enum=False, create_constraint=True, length=32)


def change_wrap_kinds(before: Sequence[str], after: Sequence[str], owner_check: str) -> None:
    """Let `wrapped_key.kind` take the kinds `after`, each owned as `owner_check` says."""
    with op.batch_alter_table("wrapped_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(WRAP_OWNER_CHECK), type_="check")
        batch_op.alter_column(
            "kind",
            existing_type=wrap_kinds(*before),
            type_=wrap_kinds(*after),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(batch_op.f(WRAP_OWNER_CHECK), sa.text(owner_check))
