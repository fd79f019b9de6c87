"""Each signed reply keeps the key its signature was checked with, vouched for by the server

Revision ID: 0012_reply_signer_key
Revises: 0011_recovery_key_rotation
Create Date: 2026-12-04 20:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_reply_signer_key"
down_revision = "0011_recovery_key_rotation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signer_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("signature_mac", sa.LargeBinary(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("signature_mac")
        batch_op.drop_column("signer_key")
