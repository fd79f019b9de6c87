"""Staff choose the language of their own pages

Create Date: 2026-12-05 02:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import add_columns

revision = "0018_staff_language"
down_revision = "0017_line_settings"


def upgrade():
    add_columns("staff", sa.Column("language", sa.String(length=5), nullable=True))


def downgrade():
    op.drop_column("staff", "language")  # in place: SQLite has dropped columns since 3.35
