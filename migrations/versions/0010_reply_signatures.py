"""Lawyers' signing keys, and signatures on their replies

Create Date: 2026-12-04 19:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import add_columns, drop_columns

revision = "0010_reply_signatures"
down_revision = "0009_staff_key_pairs"


def upgrade():
    add_columns(
        "staff",
        sa.Column("signing_public_key", sa.String(length=64), nullable=True),
        sa.Column("signing_key_mac", sa.LargeBinary(length=32), nullable=True),
    )
    add_columns("message", sa.Column("signature", sa.String(length=100), nullable=True))


def downgrade():
    drop_columns("message", "signature")
    drop_columns("staff", "signing_key_mac", "signing_public_key")
