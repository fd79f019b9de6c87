"""Indexes for the lawyers' queue: open cases in queue order, a case's callbacks and unread messages

Create Date: 2026-11-23 12:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import create_indexes, drop_indexes

revision = "0005_queue_indexes"
down_revision = "0007_revoked_staff_session"

OPEN = "status <> 'closed'"


def upgrade():
    queue_order = ["line_id", "priority", "callback_due_at", "id", "status"]
    create_indexes(
        "case",
        {
            "ix_case_open_queue": queue_order,
            "ix_case_open_assignee": ["assigned_lawyer_id", *queue_order],
        },
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    create_indexes(
        "callback", {"ix_callback_case_status": ["case_id", "status", "slot_start"]}, unique=False
    )
    create_indexes(
        "message", {"ix_message_case_unread": ["case_id", "direction", "read_at"]}, unique=False
    )


def downgrade():
    drop_indexes("message", "ix_message_case_unread")
    drop_indexes("callback", "ix_callback_case_status")
    drop_indexes("case", "ix_case_open_assignee", "ix_case_open_queue")
