"""HMACs that vouch for lawyers' public keys and the line's recovery public key

Create Date: 2026-12-04 20:30:00
"""

import sqlalchemy as sa

from migrations.helpers import add_columns, drop_columns

revision = "0013_vouched_public_keys"
down_revision = "0012_reply_signer_key"


def upgrade():
    add_columns("staff", sa.Column("public_key_mac", sa.LargeBinary(length=32), nullable=True))
    add_columns("line", sa.Column("recovery_key_mac", sa.LargeBinary(length=32), nullable=True))


def downgrade():
    drop_columns("line", "recovery_key_mac")
    drop_columns("staff", "public_key_mac")
