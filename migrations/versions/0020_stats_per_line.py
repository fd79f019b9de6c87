"""The daily and monthly figures are kept per line: a report can sum any set of lines

The figures counted so far belong to the first line, the one line that took cases. Each table
gets its new key by a rebuild (nothing refers to either): its rows wait in a table of their
own while it is made anew, so that it keeps its constraint and index names (PostgreSQL names
them per schema: two tables cannot both hold `pk_stats_daily`, even for a moment). The row
ids are not copied: nothing refers to them, and the new table's sequence starts afresh.
Downgrading adds the lines' counts of each cell together again.

Create Date: 2026-12-05 02:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import STATS_CELL

revision = "0020_stats_per_line"
down_revision = "0019_callback_slot_per_line"

# (table, its period column, its covering index: name, and the columns after the period)
TABLES = (
    ("stats_daily", "day", "ix_stats_daily_metric_day", ("channel", "kind", "bucket", "count")),
    (
        "stats_monthly",
        "month",
        "ix_stats_monthly_metric_month",
        ("channel", "kind", "reporter_role", "field", "bucket", "count"),
    ),
)


def upgrade():
    line = sa.table("line", sa.column("id"))
    first_line = sa.select(sa.func.min(line.c.id)).scalar_subquery()
    has_line = op.get_bind().execute(sa.select(first_line)).scalar() is not None
    for table, period, index, covered in TABLES:
        old = _table(table, period, per_line=False)
        has_rows = op.get_bind().execute(sa.select(old.c[period]).limit(1)).first() is not None
        if has_rows and not has_line:
            raise RuntimeError(f"{table} holds figures, but there is no line to give them to")
        cells = [old.c[name] for name in (period, *STATS_CELL, "count")]
        _rebuild(table, period, index, covered, sa.select(first_line, *cells), per_line=True)


def downgrade():
    for table, period, index, covered in TABLES:
        # One count per cell again: the counts of every line in a cell added up.
        new = _table(table, period, per_line=True)
        keys = [new.c[name] for name in (period, *STATS_CELL)]
        rows = sa.select(*keys, sa.func.sum(new.c["count"])).group_by(*keys)
        _rebuild(table, period, index, covered, rows, per_line=False)


def _rebuild(table, period, index, covered, rows, per_line):
    """`table` anew, with or without a `line_id` (`per_line`), with its covering `index` (the
    `covered` columns after the metric, the period and the line), holding `rows`: a SELECT of
    its columns but the id, in order, from the table as it was."""
    waiting = f"{table}_waiting"
    names = [column.name for column in _columns(period, per_line)]
    op.create_table(waiting, *_columns(period, per_line))
    op.execute(_table(waiting, period, per_line).insert().from_select(names, rows))
    op.drop_table(table)  # its indexes go with it
    line_key = sa.ForeignKeyConstraint(
        ["line_id"], ["line.id"], name=op.f(f"fk_{table}_line_id_line")
    )
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        *_columns(period, per_line),
        *([line_key] if per_line else []),
        sa.CheckConstraint("count >= 0", name=op.f(f"ck_{table}_count_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        sa.UniqueConstraint(*names[:-1], name=f"uq_{table}_cell"),  # all but the count
    )
    line_id = ["line_id"] if per_line else []
    op.create_index(index, table, ["metric", period, *line_id, *covered], unique=False)
    moved = _table(waiting, period, per_line)
    op.execute(_table(table, period, per_line).insert().from_select(names, sa.select(*moved.c)))
    op.drop_table(waiting)


def _columns(period, per_line):
    """Every column but the id: the line (`per_line`), the period, the cell, the count."""
    line_id = [sa.Column("line_id", sa.Integer(), nullable=False)] if per_line else []
    return [
        *line_id,
        sa.Column(period, sa.Date(), nullable=False),
        *(
            sa.Column(name, sa.String(length=32), nullable=False)
            for name in ("channel", "kind", "reporter_role", "field")
        ),
        sa.Column("metric", sa.String(length=40), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
    ]


def _table(name, period, per_line):
    return sa.table(name, *(sa.column(column.name) for column in _columns(period, per_line)))
