"""HMACs that vouch for lawyers' public keys and the line's recovery public key

Revision ID: 0013_vouched_public_keys
Revises: 0012_reply_signer_key
Create Date: 2026-12-04 20:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_vouched_public_keys"
down_revision = "0012_reply_signer_key"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_key_mac", sa.LargeBinary(length=32), nullable=True))
    with op.batch_alter_table("line", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recovery_key_mac", sa.LargeBinary(length=32), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("line", schema=None) as batch_op:
        batch_op.drop_column("recovery_key_mac")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("public_key_mac")
