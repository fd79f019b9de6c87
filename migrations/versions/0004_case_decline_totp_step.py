"""Declines for conflict of interest; last accepted TOTP step; replies readable by the line

Revision ID: 0004_case_decline_totp_step
Revises: 0003_case_submission_token
Create Date: 2026-11-22 09:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0004_case_decline_totp_step"
down_revision = "0003_case_submission_token"
branch_labels = None
depends_on = None


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
    with op.batch_alter_table("case_decline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_decline_case_id"), ["case_id"], unique=False)
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_copy_envelope", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("line_copy_envelope")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("totp_last_step")
    with op.batch_alter_table("case_decline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_decline_case_id"))
    op.drop_table("case_decline")
