"""Staff sessions ended by a plain sign-out: a copied cookie is refused until it expires

Revision ID: 0007_revoked_staff_session
Revises: 0004_case_decline_totp_step
Create Date: 2026-11-23 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_revoked_staff_session"
down_revision = "0004_case_decline_totp_step"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "revoked_staff_session",
        sa.Column("sid_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sid_digest", name=op.f("pk_revoked_staff_session")),
    )
    with op.batch_alter_table("revoked_staff_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_revoked_staff_session_expires_at"), ["expires_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("revoked_staff_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_revoked_staff_session_expires_at"))
    op.drop_table("revoked_staff_session")
