"""Monthly figures beside the daily ones; cases marked once counted; indexes for the figures

`case.stats_folded` marks a case already counted in the rollup (closed, callbacks settled):
the figures then read live only the cases still moving. The yearly report and the whole
months of a long period read `stats_monthly` (every category); `stats_daily` keeps channel
and kind per day (role and field become "*"), which is what the dashboard's weeks need. Existing daily rows are summed into months first, then
narrowed. Downgrading drops the monthly table; the daily rows stay narrowed.

Create Date: 2026-11-23 14:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import create_indexes, create_stats_table, drop_indexes, drop_table

revision = "0006_stats_monthly"
down_revision = "0005_queue_indexes"

HISTOGRAMS = "('response_wall_minutes', 'response_opening_minutes')"
CELL = "channel, kind, reporter_role, field, metric, bucket"


def upgrade():
    create_stats_table("stats_monthly", period="month")
    monthly = ["metric", "month", "channel", "kind", "reporter_role", "field", "bucket", "count"]
    create_indexes("stats_monthly", {"ix_stats_monthly_metric_month": monthly}, unique=False)
    create_indexes(
        "stats_daily",
        {"ix_stats_daily_metric_day": ["metric", "day", "channel", "kind", "bucket", "count"]},
        unique=False,
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stats_folded", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            "ix_case_unfolded_received", ["stats_folded", "received_at"], unique=False
        )
    _move_existing_figures()


def _move_existing_figures():
    """Sum the daily rows into months (histograms by channel), then narrow the daily rows."""
    if op.get_bind().dialect.name == "postgresql":
        month = "CAST(date_trunc('month', day) AS DATE)"
    else:
        month = "date(day, 'start of month')"
    histogram = f"metric IN {HISTOGRAMS}"
    op.execute(
        f"""
        INSERT INTO stats_monthly (month, {CELL}, count)
        SELECT {month}, channel,
               CASE WHEN {histogram} THEN '*' ELSE kind END,
               CASE WHEN {histogram} THEN '*' ELSE reporter_role END,
               CASE WHEN {histogram} THEN '*' ELSE field END,
               metric, bucket, SUM(count)
        FROM stats_daily
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        """
    )
    op.execute(
        f"""
        CREATE TEMPORARY TABLE stats_daily_narrow AS
        SELECT day, channel,
               CASE WHEN {histogram} THEN '*' ELSE kind END AS kind,
               '*' AS reporter_role, '*' AS field, metric, bucket, SUM(count) AS count
        FROM stats_daily
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        """
    )
    op.execute("DELETE FROM stats_daily")
    op.execute(
        f"INSERT INTO stats_daily (day, {CELL}, count) SELECT day, {CELL}, count "
        "FROM stats_daily_narrow"
    )
    op.execute("DROP TABLE stats_daily_narrow")


def downgrade():
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index("ix_case_unfolded_received")
        batch_op.drop_column("stats_folded")
    drop_indexes("stats_daily", "ix_stats_daily_metric_day")
    drop_table("stats_monthly", "ix_stats_monthly_metric_month")
