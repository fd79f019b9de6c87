"""Scheduler lock and job store, callback slot bookings, notification dedupe, daily stats

Create Date: 2026-11-22 02:08:38
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import add_columns, create_stats_table, drop_columns

revision = "0002_scheduler_slots_stats"
down_revision = "0001_initial_schema"


def upgrade():
    op.create_table(
        "callback_slot",
        sa.Column("slot_start", sa.DateTime(), nullable=False),
        sa.Column("slot_end", sa.DateTime(), nullable=False),
        sa.Column("booked", sa.Integer(), nullable=False),
        sa.CheckConstraint("booked >= 0", name=op.f("ck_callback_slot_booked_not_negative")),
        sa.CheckConstraint("slot_end > slot_start", name=op.f("ck_callback_slot_slot_has_length")),
        sa.PrimaryKeyConstraint("slot_start", name=op.f("pk_callback_slot")),
    )
    op.create_table(
        "scheduler_lock",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_lock")),
    )
    # APScheduler's SQLAlchemyJobStore layout (it creates the table only when missing).
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), nullable=False),
        sa.Column("next_run_time", sa.Float(25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apscheduler_jobs")),
    )
    op.create_index(
        "ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"], unique=False
    )
    create_stats_table("stats_daily", period="day")
    add_columns(
        "notification",
        sa.Column("dedupe_key", sa.String(length=120), nullable=True),
        sa.Column("email_claimed_at", sa.DateTime(), nullable=True),
    )
    # Earlier notifications get a key of their own, then the column becomes required.
    op.execute("UPDATE notification SET dedupe_key = 'legacy:' || id WHERE dedupe_key IS NULL")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("dedupe_key", existing_type=sa.String(length=120), nullable=False)
        batch_op.create_index(
            "ix_notification_email_pending", ["emailed_at", "email_claimed_at"], unique=False
        )
        batch_op.create_unique_constraint(batch_op.f("uq_notification_dedupe_key"), ["dedupe_key"])

    add_columns("staff", sa.Column("email", sa.String(length=254), nullable=True))


def downgrade():
    drop_columns("staff", "email")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_notification_dedupe_key"), type_="unique")
        batch_op.drop_index("ix_notification_email_pending")
        batch_op.drop_column("email_claimed_at")
        batch_op.drop_column("dedupe_key")
    op.drop_table("stats_daily")
    op.drop_index("ix_apscheduler_jobs_next_run_time", table_name="apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
    op.drop_table("scheduler_lock")
    op.drop_table("callback_slot")
