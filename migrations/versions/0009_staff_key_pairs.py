"""Staff credentials split in the browser; lawyers' own key pairs; line keys granted to them

Existing accounts keep their argon2id password hash under the scheme 'password' until their
next sign-in upgrades them. Existing wraps of the line key under a lawyer's password keep
the kind 'staff' until that lawyer's browser turns them into grants ('grant').

Create Date: 2026-12-04 18:00:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.helpers import change_wrap_kinds

revision = "0009_staff_key_pairs"
down_revision = "0008_keyed_audit_chain"

KINDS_BEFORE = ("staff", "recovery")
KINDS_AFTER = ("staff", "recovery", "grant")
OWNER_BEFORE = (
    "(kind = 'recovery' AND staff_id IS NULL) OR (kind = 'staff' AND staff_id IS NOT NULL)"
)
OWNER_AFTER = (
    "(kind = 'recovery' AND staff_id IS NULL) "
    "OR (kind IN ('staff', 'grant') AND staff_id IS NOT NULL)"
)


def upgrade():
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "credential_scheme",
                sa.Enum(
                    "password",
                    "split-v1",
                    name="credential_scheme",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="password",
            )
        )
        batch_op.add_column(sa.Column("public_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("wrapped_private_key", sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f("ck_staff_key_pair_whole"),
            sa.text("(public_key IS NULL) = (wrapped_private_key IS NULL)"),
        )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.alter_column("credential_scheme", server_default=None)
    change_wrap_kinds(KINDS_BEFORE, KINDS_AFTER, OWNER_AFTER)


def downgrade():
    # Grants cannot be expressed before key pairs: they go, as the pairs do.
    op.execute("DELETE FROM wrapped_key WHERE kind = 'grant'")
    change_wrap_kinds(KINDS_AFTER, KINDS_BEFORE, OWNER_BEFORE)
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_staff_key_pair_whole"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_staff_credential_scheme"), type_="check")
        batch_op.drop_column("wrapped_private_key")
        batch_op.drop_column("public_key")
        batch_op.drop_column("credential_scheme")
