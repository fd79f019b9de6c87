"""The line's recovery public key, grants to it, and when a rotation was advised

Revision ID: 0011_recovery_key_rotation
Revises: 0010_reply_signatures
Create Date: 2026-12-04 19:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011_recovery_key_rotation"
down_revision = "0010_reply_signatures"
branch_labels = None
depends_on = None

OWNER_BEFORE = (
    "(kind = 'recovery' AND staff_id IS NULL) "
    "OR (kind IN ('staff', 'grant') AND staff_id IS NOT NULL)"
)
OWNER_AFTER = (
    "(kind IN ('recovery', 'recovery-grant') AND staff_id IS NULL) "
    "OR (kind IN ('staff', 'grant') AND staff_id IS NOT NULL)"
)


def _kinds(*values):
    return sa.Enum(*values, name="wrap_kind", native_enum=False, create_constraint=True, length=32)


def upgrade():
    with op.batch_alter_table("line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recovery_public_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rotation_advised_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("wrapped_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_wrapped_key_owner_matches_kind"), type_="check")
        batch_op.alter_column(
            "kind",
            existing_type=_kinds("staff", "recovery", "grant"),
            type_=_kinds("staff", "recovery", "grant", "recovery-grant"),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_wrapped_key_owner_matches_kind"), sa.text(OWNER_AFTER)
        )


def downgrade():
    op.execute("DELETE FROM wrapped_key WHERE kind = 'recovery-grant'")
    with op.batch_alter_table("wrapped_key", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_wrapped_key_owner_matches_kind"), type_="check")
        batch_op.alter_column(
            "kind",
            existing_type=_kinds("staff", "recovery", "grant", "recovery-grant"),
            type_=_kinds("staff", "recovery", "grant"),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_wrapped_key_owner_matches_kind"), sa.text(OWNER_BEFORE)
        )
    with op.batch_alter_table("line", schema=None) as batch_op:
        batch_op.drop_column("rotation_advised_at")
        batch_op.drop_column("recovery_public_key")
