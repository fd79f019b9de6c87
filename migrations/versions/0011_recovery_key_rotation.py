"""The line's recovery public key, grants to it, and when a rotation was advised

Create Date: 2026-12-04 19:30:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import add_columns, change_wrap_kinds, drop_columns

revision = "0011_recovery_key_rotation"
down_revision = "0010_reply_signatures"

KINDS_BEFORE = ("staff", "recovery", "grant")
KINDS_AFTER = ("staff", "recovery", "grant", "recovery-grant")
OWNER_BEFORE = (
    "(kind = 'recovery' AND staff_id IS NULL) "
    "OR (kind IN ('staff', 'grant') AND staff_id IS NOT NULL)"
)
OWNER_AFTER = (
    "(kind IN ('recovery', 'recovery-grant') AND staff_id IS NULL) "
    "OR (kind IN ('staff', 'grant') AND staff_id IS NOT NULL)"
)


def upgrade():
    add_columns(
        "line",
        sa.Column("recovery_public_key", sa.String(length=64), nullable=True),
        sa.Column("rotation_advised_at", sa.DateTime(), nullable=True),
    )
    change_wrap_kinds(KINDS_BEFORE, KINDS_AFTER, OWNER_AFTER)


def downgrade():
    op.execute("DELETE FROM wrapped_key WHERE kind = 'recovery-grant'")
    change_wrap_kinds(KINDS_AFTER, KINDS_BEFORE, OWNER_BEFORE)
    drop_columns("line", "rotation_advised_at", "recovery_public_key")
