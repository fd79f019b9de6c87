"""Each line keeps its own settings: calendar, deadlines, callbacks, languages and numbers

An existing line takes the settings the deployment had in its environment (migrations/env.py
reads them from the running app), so its deadlines and pages stay as they were.

Create Date: 2026-12-05 01:30:00
"""

import sqlalchemy as sa
from alembic import context, op

from migrations.helpers import add_columns

revision = "0017_line_settings"
down_revision = "0016_attachments"

TEXT_COLUMNS = {
    "description": sa.String(500),
    "timezone": sa.String(64),
    "weekly_hours": sa.String(400),
    "holiday_country": sa.String(2),
    "closed_days": sa.String(400),
    "closed_dates": sa.Text(),
    "duty_roster": sa.String(400),
    "languages": sa.String(40),
    "default_language": sa.String(5),
    "emergency_numbers": sa.String(400),
    "smtp_sender": sa.String(200),
    "phone": sa.String(40),
}
NUMBER_COLUMNS = ("p1_target_hours", "slot_minutes", "slot_capacity", "retention_days")
OPTIONAL_NUMBER_COLUMNS = ("deadline_hours",)


def upgrade():
    # Each column arrives with the imported value as its default, which fills the existing
    # rows: on SQLite, making a column NOT NULL afterwards would rebuild the line table, which
    # its cases and keys refer to. PostgreSQL drops the defaults again (the app sets every
    # value); SQLite keeps them, as it cannot drop one without that rebuild.
    imported = context.config.attributes["line_settings"]
    add_columns(
        "line",
        *(
            sa.Column(name, kind, nullable=False, server_default=imported[name])
            for name, kind in TEXT_COLUMNS.items()
        ),
        *(
            sa.Column(name, sa.Integer(), nullable=False, server_default=str(int(imported[name])))
            for name in NUMBER_COLUMNS
        ),
        *(sa.Column(name, sa.Integer(), nullable=True) for name in OPTIONAL_NUMBER_COLUMNS),
    )
    for name in OPTIONAL_NUMBER_COLUMNS:
        if imported[name]:
            line = sa.table("line", sa.column(name))
            op.execute(line.update().values({name: int(imported[name])}))
    if op.get_bind().dialect.name != "sqlite":
        for name in (*TEXT_COLUMNS, *NUMBER_COLUMNS):
            op.alter_column("line", name, server_default=None)


def downgrade():
    # Without a batch rebuild (see upgrade); SQLite has dropped columns in place since 3.35.
    for name in (*TEXT_COLUMNS, *NUMBER_COLUMNS, *OPTIONAL_NUMBER_COLUMNS):
        op.drop_column("line", name)
