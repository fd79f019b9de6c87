"""Indexes for the lawyers' queue: open cases in queue order, a case's callbacks and unread messages

Revision ID: 0005_queue_indexes
Revises: 0007_revoked_staff_session
Create Date: 2026-11-23 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_queue_indexes"
down_revision = "0007_revoked_staff_session"
branch_labels = None
depends_on = None

OPEN = "status <> 'closed'"


def upgrade():
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_open_queue",
            ["line_id", "priority", "callback_due_at", "id", "status"],
            unique=False,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )
        batch_op.create_index(
            "ix_case_open_assignee",
            ["assigned_lawyer_id", "line_id", "priority", "callback_due_at", "id", "status"],
            unique=False,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )
    with op.batch_alter_table("callback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_callback_case_status", ["case_id", "status", "slot_start"], unique=False
        )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_case_unread", ["case_id", "direction", "read_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_case_unread")
    with op.batch_alter_table("callback", schema=None) as batch_op:
        batch_op.drop_index("ix_callback_case_status")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_open_assignee")
        batch_op.drop_index("ix_case_open_queue")
