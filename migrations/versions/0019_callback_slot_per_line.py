"""Callback places are counted per line: a booking on one line takes no place of another's

The bookings counted so far belong to the first line, the one line that took callbacks. The
table gets its new key by a rebuild (nothing refers to it): its rows wait in a table of their
own while it is made anew, so that it keeps its constraint names (PostgreSQL names a key's
index per schema: two tables cannot both hold `pk_callback_slot`, even for a moment).

Create Date: 2026-12-05 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_callback_slot_per_line"
down_revision = "0018_staff_language"

SLOTS = "callback_slot"
WAITING = "callback_slot_waiting"


def upgrade():
    old = _table(SLOTS, per_line=False)
    line = sa.table("line", sa.column("id"))
    first_line = sa.select(sa.func.min(line.c.id)).scalar_subquery()
    _rebuild(sa.select(first_line, *old.c), per_line=True)


def downgrade():
    # One count per slot again: the bookings of every line in a slot added up.
    new = _table(SLOTS, per_line=True)
    rows = sa.select(new.c.slot_start, sa.func.max(new.c.slot_end), sa.func.sum(new.c.booked))
    _rebuild(rows.group_by(new.c.slot_start), per_line=False)


def _rebuild(rows, per_line):
    """`callback_slot` anew, keyed by line and start (`per_line`) or by start alone, holding
    `rows`: a SELECT of its columns, in order, from the table as it was."""
    names = [column.name for column in _columns(per_line)]
    op.create_table(WAITING, *_columns(per_line))
    op.execute(_table(WAITING, per_line).insert().from_select(names, rows))
    op.drop_table(SLOTS)
    line_key = sa.ForeignKeyConstraint(
        ["line_id"], ["line.id"], name=op.f("fk_callback_slot_line_id_line")
    )
    op.create_table(
        SLOTS,
        *_columns(per_line),
        *([line_key] if per_line else []),
        sa.CheckConstraint("booked >= 0", name=op.f("ck_callback_slot_booked_not_negative")),
        sa.CheckConstraint("slot_end > slot_start", name=op.f("ck_callback_slot_slot_has_length")),
        sa.PrimaryKeyConstraint(*names[:-2], name=op.f("pk_callback_slot")),  # all but end, count
    )
    waiting = _table(WAITING, per_line)
    op.execute(_table(SLOTS, per_line).insert().from_select(names, sa.select(*waiting.c)))
    op.drop_table(WAITING)


def _columns(per_line):
    line_id = [sa.Column("line_id", sa.Integer(), nullable=False)] if per_line else []
    return [
        *line_id,
        sa.Column("slot_start", sa.DateTime(), nullable=False),
        sa.Column("slot_end", sa.DateTime(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
    ]


def _table(name, per_line):
    return sa.table(name, *(sa.column(column.name) for column in _columns(per_line)))
