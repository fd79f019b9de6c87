"""Each signed reply keeps the key its signature was checked with, vouched for by the server

Create Date: 2026-12-04 20:00:00
"""

import sqlalchemy as sa

from migrations.helpers import add_columns, drop_columns

revision = "0012_reply_signer_key"
down_revision = "0011_recovery_key_rotation"


def upgrade():
    add_columns(
        "message",
        sa.Column("signer_key", sa.String(length=64), nullable=True),
        sa.Column("signature_mac", sa.LargeBinary(length=32), nullable=True),
    )


def downgrade():
    drop_columns("message", "signature_mac", "signer_key")
