"""Declines for conflict of interest; last accepted TOTP step; replies readable by the line

Create Date: 2026-11-22 09:10:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import add_columns, create_indexes, drop_columns, drop_table

revision = "0004_case_decline_totp_step"
down_revision = "0003_case_submission_token"


def upgrade():
    op.create_table(
        "case_decline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("declined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_case_decline_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_case_decline_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_decline")),
        sa.UniqueConstraint("case_id", "staff_id", name="uq_case_decline_once"),
    )
    create_indexes("case_decline", {op.f("ix_case_decline_case_id"): ["case_id"]}, unique=False)
    add_columns("staff", sa.Column("totp_last_step", sa.Integer(), nullable=True))
    add_columns("message", sa.Column("line_copy_envelope", sa.Text(), nullable=True))


def downgrade():
    drop_columns("message", "line_copy_envelope")
    drop_columns("staff", "totp_last_step")
    drop_table("case_decline", op.f("ix_case_decline_case_id"))
