"""Audit chain keyed with HMAC-SHA256 and numbered; a field for audit log anchors on notices

Existing events are re-linked: the old unkeyed SHA-256 chain is verified first (an upgrade
refuses a broken one rather than seal it under the key), then every event gets its number in
the old chain's order and an HMAC under the chain key, a subkey of the instance's data key.
From then on `audit verify` accepts keyed links only, so nobody can rewrite the log in the
old format. An instance without secrets has no events; one with events needs its secrets.

The MAC below is a frozen copy of `advisory.audit.event_mac` as of this revision (a test
checks that the app verifies what this migration writes). Downgrading re-links the events in
the old unkeyed format.

Create Date: 2026-11-24 10:00:00
"""

import hashlib
import hmac
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op
from flask import current_app

import crypto

revision = "0008_keyed_audit_chain"
down_revision = "0006_stats_monthly"

GENESIS_HASH = "0" * 64
CHAIN_KEY_LABEL = "audit-chain"
MAC_DOMAIN = "advisory-line/audit/v2"
LINKED_ALL_OR_NONE = "(seq IS NULL) = (prev_hash IS NULL) AND (seq IS NULL) = (hash IS NULL)"

events = sa.table(
    "audit_event",
    sa.column("id", sa.Integer()),
    sa.column("seq", sa.BigInteger()),
    sa.column("occurred_at", sa.DateTime()),
    sa.column("actor_staff_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("case_reference", sa.String()),
    sa.column("detail", sa.Text()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)


def upgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True)
    _key_the_chain()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_seq"), ["seq"])
        batch_op.create_check_constraint(
            batch_op.f("ck_audit_event_linked_all_or_none"), sa.text(LINKED_ALL_OR_NONE)
        )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("audit_anchor", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("audit_anchor")
    _unkey_the_chain()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_audit_event_linked_all_or_none"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_audit_event_seq"), type_="unique")
        batch_op.drop_column("seq")
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)


def _key_the_chain():
    bind = op.get_bind()
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    if not rows:
        return
    expected_prev = GENESIS_HASH
    for row in rows:
        if row["prev_hash"] != expected_prev or row["hash"] != _plain_hash(row):
            raise RuntimeError(
                f"the audit chain is broken at event id {row['id']}: it was changed before this "
                "upgrade, which keys only an intact chain. Restore the database from a backup "
                "taken before the change, then upgrade."
            )
        expected_prev = row["hash"]
    secrets = current_app.extensions["advisory_settings"].secrets
    if secrets is None:
        raise RuntimeError(
            "the audit log has events but the instance secrets are missing: restore "
            "instance/secrets.json (or the ADVISORY_* secrets) before upgrading."
        )
    key = crypto.derive_subkey(secrets.data_key, CHAIN_KEY_LABEL)
    prev_hash = GENESIS_HASH
    for seq, row in enumerate(rows, start=1):
        mac = _keyed_hash(key, seq, prev_hash, row)
        bind.execute(
            events.update()
            .where(events.c.id == row["id"])
            .values(seq=seq, prev_hash=prev_hash, hash=mac)
        )
        prev_hash = mac


def _unkey_the_chain():
    bind = op.get_bind()
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    prev_hash = GENESIS_HASH
    for row in rows:
        plain = _plain_hash({**row, "prev_hash": prev_hash})
        bind.execute(
            events.update().where(events.c.id == row["id"]).values(prev_hash=prev_hash, hash=plain)
        )
        prev_hash = plain


def _fields(row):
    return [
        row["occurred_at"].replace(tzinfo=UTC).isoformat(timespec="microseconds"),
        row["actor_staff_id"],
        row["action"],
        row["case_reference"],
        row["detail"],
    ]


def _plain_hash(row):
    """The link before this revision: SHA-256 over the previous hash and the fields."""
    canonical = json.dumps([row["prev_hash"], *_fields(row)], separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _keyed_hash(key, seq, prev_hash, row):
    fields = [MAC_DOMAIN, seq, prev_hash, *_fields(row)]
    canonical = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()
