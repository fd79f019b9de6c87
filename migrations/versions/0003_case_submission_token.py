"""Case: one-time submission token (double submits make one case) and P1 internal target

Create Date: 2026-11-22 02:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_case_submission_token"
down_revision = "0002_scheduler_slots_stats"


def upgrade():
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("internal_target_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("submission_token_hmac", sa.LargeBinary(length=32), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_case_submission_token_hmac"), ["submission_token_hmac"]
        )


def downgrade():
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_case_submission_token_hmac"), type_="unique")
        batch_op.drop_column("submission_token_hmac")
        batch_op.drop_column("internal_target_at")
