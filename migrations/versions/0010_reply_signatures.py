"""Lawyers' signing keys, and signatures on their replies

Revision ID: 0010_reply_signatures
Revises: 0009_staff_key_pairs
Create Date: 2026-12-04 19:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_reply_signatures"
down_revision = "0009_staff_key_pairs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_public_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("signing_key_mac", sa.LargeBinary(length=32), nullable=True))
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("signature")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("signing_key_mac")
        batch_op.drop_column("signing_public_key")
