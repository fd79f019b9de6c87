"""Staff sessions ended by a plain sign-out: a copied cookie is refused until it expires

Create Date: 2026-11-23 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import create_indexes, drop_table

revision = "0007_revoked_staff_session"
down_revision = "0004_case_decline_totp_step"


def upgrade():
    op.create_table(
        "revoked_staff_session",
        sa.Column("sid_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sid_digest", name=op.f("pk_revoked_staff_session")),
    )
    create_indexes(
        "revoked_staff_session",
        {op.f("ix_revoked_staff_session_expires_at"): ["expires_at"]},
        unique=False,
    )


def downgrade():
    drop_table("revoked_staff_session", op.f("ix_revoked_staff_session_expires_at"))
