"""Receipt links: a report's receipt is shown after a redirect, so reload never sends it again

Create Date: 2026-12-04 22:10:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import create_indexes

revision = "0015_receipt_links"
down_revision = "0014_reporter_copies"


def upgrade():
    op.create_table(
        "receipt_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hmac", sa.LargeBinary(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("sealed_code", sa.Text(), nullable=True),
        sa.Column("sealed_in_browser", sa.Boolean(), nullable=False),
        sa.Column("callback_unbooked", sa.Boolean(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_receipt_link_case_id_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_link")),
        sa.UniqueConstraint("token_hmac", name=op.f("uq_receipt_link_token_hmac")),
    )
    create_indexes(
        "receipt_link",
        {
            op.f("ix_receipt_link_case_id"): ["case_id"],
            op.f("ix_receipt_link_expires_at"): ["expires_at"],
        },
        unique=False,
    )


def downgrade():
    op.drop_table("receipt_link")
