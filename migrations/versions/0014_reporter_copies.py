"""What a reporter sends is sealed to their own key too, so they can reread their case

Create Date: 2026-12-04 22:20:00
"""

import sqlalchemy as sa

from migrations.helpers import add_columns, drop_columns

revision = "0014_reporter_copies"
down_revision = "0013_vouched_public_keys"


def upgrade():
    add_columns("case", sa.Column("reporter_copy_envelope", sa.Text(), nullable=True))
    add_columns("message", sa.Column("reporter_copy_envelope", sa.Text(), nullable=True))


def downgrade():
    drop_columns("message", "reporter_copy_envelope")
    drop_columns("case", "reporter_copy_envelope")
