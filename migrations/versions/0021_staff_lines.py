"""The lines a coordinator is given: one line's figures, or a network's summed

Create Date: 2026-12-05 02:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_staff_lines"
down_revision = "0020_stats_per_line"


def upgrade():
    op.create_table(
        "staff_line",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["line.id"], name=op.f("fk_staff_line_line_id_line")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_staff_line_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", "line_id", name=op.f("pk_staff_line")),
    )


def downgrade():
    op.drop_table("staff_line")
