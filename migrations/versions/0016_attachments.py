"""Evidence files: sealed attachments and their chunks, and what a receipt says was removed

Create Date: 2026-12-04 23:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import add_columns, create_indexes, drop_columns

revision = "0016_attachments"
down_revision = "0015_receipt_links"

DIRECTION = sa.Enum(
    "from_reporter",
    "to_reporter",
    name="direction",
    native_enum=False,
    create_constraint=True,
    length=32,
)


def upgrade():
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("direction", DIRECTION, nullable=False),
        sa.Column("upload_token_hmac", sa.LargeBinary(length=32), nullable=False),
        sa.Column("owner_hmac", sa.LargeBinary(length=32), nullable=False),
        sa.Column("header_envelope", sa.Text(), nullable=True),
        sa.Column("line_copy_envelope", sa.Text(), nullable=True),
        sa.Column("padded_bytes", sa.Integer(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("chunks_received", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "chunks_received BETWEEN 0 AND chunk_count", name=op.f("ck_attachment_chunks_in_range")
        ),
        sa.CheckConstraint(
            "(case_id IS NULL) = (header_envelope IS NULL)",
            name=op.f("ck_attachment_header_iff_attached"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_attachment_case_id_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_attachment_message_id_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint("upload_token_hmac", name=op.f("uq_attachment_upload_token_hmac")),
    )
    create_indexes(
        "attachment",
        {
            op.f("ix_attachment_case_id"): ["case_id"],
            op.f("ix_attachment_message_id"): ["message_id"],
            op.f("ix_attachment_expires_at"): ["expires_at"],
        },
        unique=False,
    )
    op.create_table(
        "attachment_chunk",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["attachment.id"],
            name=op.f("fk_attachment_chunk_attachment_id_attachment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attachment_id", "seq", name=op.f("pk_attachment_chunk")),
    )
    add_columns("receipt_link", sa.Column("removed_from_files", sa.Text(), nullable=True))


def downgrade():
    drop_columns("receipt_link", "removed_from_files")
    op.drop_table("attachment_chunk")
    op.drop_table("attachment")
