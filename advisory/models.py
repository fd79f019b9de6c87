"""Typed SQLAlchemy models.

No table has a column for a reporter's IP address, user agent or name. Free text and phone
numbers exist only as HPKE envelopes (`*_envelope` columns); a `__repr__` never prints one.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advisory.extensions import Base
from advisory.line_config import MAX_LENGTHS as _LONGEST
from advisory.line_config import NORWEGIAN_LINE as _LINE
from advisory.timestamps import UTCDateTime, utcnow

# The vocabulary is named where it is stored; other modules may import it from either place.
from advisory.vocabulary import (
    CallbackStatus,
    CaseStatus,
    Channel,
    CloseOutcome,
    ContactPreference,
    CredentialScheme,
    Direction,
    Field,
    Happened,
    Kind,
    Language,
    ReporterRole,
    Role,
    WrapKind,
)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum: VARCHAR plus a named CHECK constraint, the same on both databases."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Line(Base):
    """One advisory line; lawyers belong to one, cases arrive on one."""

    __tablename__ = "line"
    shown_in_repr = ("slug",)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(_LONGEST["name"]))
    # The public half of the key the recovery passphrase gives (crypto.recovery_private_key):
    # a new line key made in a lawyer's browser is sealed to it too.
    recovery_public_key: Mapped[str | None] = mapped_column(String(64))
    recovery_key_mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # vouched_keys
    # Since when a lawyer who held the active line key no longer does (deactivated, reset,
    # revoked): the line's lawyers are offered a new key the former one never held.
    rotation_advised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The line's own settings, in the text forms an admin types (advisory/line_config.py reads
    # and checks them; services/line_settings.py changes them, with an audit entry).
    description: Mapped[str] = mapped_column(
        String(_LONGEST["description"]), default=_LINE["description"]
    )
    timezone: Mapped[str] = mapped_column(String(_LONGEST["timezone"]), default=_LINE["timezone"])
    weekly_hours: Mapped[str] = mapped_column(
        String(_LONGEST["weekly_hours"]), default=_LINE["weekly_hours"]
    )
    holiday_country: Mapped[str] = mapped_column(
        String(_LONGEST["holiday_country"]), default=_LINE["holiday_country"]
    )
    closed_days: Mapped[str] = mapped_column(
        String(_LONGEST["closed_days"]), default=_LINE["closed_days"]
    )
    closed_dates: Mapped[str] = mapped_column(Text, default=_LINE["closed_dates"])
    deadline_hours: Mapped[int | None] = mapped_column()  # None: one working day
    p1_target_hours: Mapped[int] = mapped_column(default=int(_LINE["p1_target_hours"]))
    slot_minutes: Mapped[int] = mapped_column(default=int(_LINE["slot_minutes"]))
    slot_capacity: Mapped[int] = mapped_column(default=int(_LINE["slot_capacity"]))
    duty_roster: Mapped[str] = mapped_column(
        String(_LONGEST["duty_roster"]), default=_LINE["duty_roster"]
    )
    languages: Mapped[str] = mapped_column(
        String(_LONGEST["languages"]), default=_LINE["languages"]
    )
    default_language: Mapped[str] = mapped_column(
        String(_LONGEST["default_language"]), default=_LINE["default_language"]
    )
    emergency_numbers: Mapped[str] = mapped_column(
        String(_LONGEST["emergency_numbers"]), default=_LINE["emergency_numbers"]
    )
    retention_days: Mapped[int] = mapped_column(default=int(_LINE["retention_days"]))
    smtp_sender: Mapped[str] = mapped_column(
        String(_LONGEST["smtp_sender"]), default=_LINE["smtp_sender"]
    )
    phone: Mapped[str] = mapped_column(String(_LONGEST["phone"]), default=_LINE["phone"])

    keys: Mapped[list[LineKey]] = relationship(back_populates="line")


class StaffLine(Base):
    """A line given to a staff member. A coordinator's: one makes a line's coordinator,
    several a network's, none every line together. A lawyer's: a line whose cases they work
    besides their own (`Staff.line_id`)."""

    __tablename__ = "staff_line"
    shown_in_repr = ("staff_id", "line_id")

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id"), primary_key=True)


class LineKey(Base):
    """A line key pair. Only the public half is stored in clear; rotation keeps old ids."""

    __tablename__ = "line_key"
    shown_in_repr = ("key_id",)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id"))
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    line: Mapped[Line] = relationship(back_populates="keys")
    wrapped: Mapped[list[WrappedKey]] = relationship(
        back_populates="line_key", cascade="all, delete-orphan"
    )


class WrappedKey(Base):
    """The line private key for one lawyer (a grant to their key pair; before key pairs, a
    wrap under their password) or under the recovery passphrase."""

    __tablename__ = "wrapped_key"
    shown_in_repr = ("kind", "staff_id")
    __table_args__ = (
        CheckConstraint(
            "(kind IN ('recovery', 'recovery-grant') AND staff_id IS NULL) "
            "OR (kind IN ('staff', 'grant') AND staff_id IS NOT NULL)",
            name="owner_matches_kind",
        ),
        UniqueConstraint("line_key_id", "staff_id", name="uq_wrapped_key_line_key_staff"),
        Index(
            "uq_wrapped_key_one_recovery",
            "line_key_id",
            unique=True,
            sqlite_where=text("kind = 'recovery'"),
            postgresql_where=text("kind = 'recovery'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_key_id: Mapped[int] = mapped_column(ForeignKey("line_key.id", ondelete="CASCADE"))
    kind: Mapped[WrapKind] = mapped_column(_enum(WrapKind, "wrap_kind"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    blob: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    line_key: Mapped[LineKey] = relationship(back_populates="wrapped")


class Staff(Base):
    __tablename__ = "staff"
    shown_in_repr = ("username", "role")
    __table_args__ = (
        CheckConstraint("failed_logins >= 0", name="failed_logins_not_negative"),
        CheckConstraint(
            "(public_key IS NULL) = (wrapped_private_key IS NULL)", name="key_pair_whole"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    line_id: Mapped[int | None] = mapped_column(ForeignKey("line.id"))
    # Staff are not anonymous: notifications (never case content) may go to this address.
    email: Mapped[str | None] = mapped_column(String(254))
    # argon2id of what the sign-in proves: see `credential_scheme`.
    password_hash: Mapped[str] = mapped_column(String(255))
    credential_scheme: Mapped[CredentialScheme] = mapped_column(
        _enum(CredentialScheme, "credential_scheme"), default=CredentialScheme.SPLIT_V1
    )
    # A lawyer's own X25519 pair, made in their browser at enrolment: the public half, and
    # the private half wrapped under the key only their password gives (crypto.staff_credentials).
    public_key: Mapped[str | None] = mapped_column(String(64))
    public_key_mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))  # vouched_keys
    wrapped_private_key: Mapped[str | None] = mapped_column(Text)
    # The Ed25519 key their replies are signed with (derived in their browser from the
    # private key above), and an HMAC under an instance key that says the server stored it:
    # a key written into the database by anyone else is not taken (services/reply_signatures).
    signing_public_key: Mapped[str | None] = mapped_column(String(64))
    signing_key_mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    totp_secret_encrypted: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    totp_confirmed: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by "sign out everywhere": sessions carry the epoch they were issued under.
    session_epoch: Mapped[int] = mapped_column(default=0)
    # The TOTP time step last accepted: a code is refused when used again within its window.
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The language of their pages, chosen by themselves; None: their line's.
    language: Mapped[str | None] = mapped_column(String(5))


class RevokedStaffSession(Base):
    """A staff session ended by signing out: a copy of its cookie is refused until it expires.

    Only a SHA-256 of the session id, and the end of the session's absolute lifetime, after
    which the cookie is refused anyway and the row may go.
    """

    __tablename__ = "revoked_staff_session"
    shown_in_repr = ("expires_at",)

    sid_digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def _open_cases_index(name: str, *leading: str) -> Index:
    """An index of the cases not closed, in queue order (line, priority, deadline)."""
    not_closed = text("status <> 'closed'")
    columns = (*leading, "line_id", "priority", "callback_due_at", "id", "status")
    return Index(name, *columns, sqlite_where=not_closed, postgresql_where=not_closed)


class Case(Base):
    __tablename__ = "case"
    shown_in_repr = ("reference", "priority", "status")
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 4", name="priority_range"),
        CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL)", name="closed_iff_closed_at"
        ),
        Index("ix_case_queue", "status", "priority", "callback_due_at"),
        Index("ix_case_assignee_status", "assigned_lawyer_id", "status"),
        # The coordinator's figures read the cases of a period not yet in the rollup.
        Index("ix_case_unfolded_received", "stats_folded", "received_at"),
        # The queue (advisory/services/queue.py) over open cases only (most cases are closed),
        # for the whole line and per assignee: a page is read in queue order without sorting,
        # and the total is counted from the index alone (hence `status` at the end: SQLite
        # checks the query's "not closed" again, and can do so without reading the row).
        _open_cases_index("ix_case_open_queue"),
        _open_cases_index("ix_case_open_assignee", "assigned_lawyer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(9), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))

    # Questionnaire: structured, non-identifying, in clear for routing and statistics.
    kind: Mapped[Kind] = mapped_column(_enum(Kind, "kind"))
    reporter_role: Mapped[ReporterRole | None] = mapped_column(_enum(ReporterRole, "reporter_role"))
    ongoing: Mapped[bool | None]
    immediate_danger: Mapped[bool | None]
    dismissal_or_warning: Mapped[bool | None]
    happened: Mapped[Happened | None] = mapped_column(_enum(Happened, "happened"))
    field: Mapped[Field | None] = mapped_column(_enum(Field, "field"))
    preferred_language: Mapped[Language | None] = mapped_column(_enum(Language, "language"))
    contact_preference: Mapped[ContactPreference] = mapped_column(
        _enum(ContactPreference, "contact_preference")
    )
    voicemail_ok: Mapped[bool | None]
    sms_ok: Mapped[bool | None]

    priority: Mapped[int]
    status: Mapped[CaseStatus] = mapped_column(
        _enum(CaseStatus, "case_status"), default=CaseStatus.NEW
    )
    close_outcome: Mapped[CloseOutcome | None] = mapped_column(_enum(CloseOutcome, "close_outcome"))
    assigned_lawyer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    callback_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # P1 cases have a shorter internal target beside the promised deadline.
    internal_target_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retention_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Counted in the daily and monthly figures already (advisory/stats.py): done once a case
    # is closed and its callbacks settled, so figures read live only the cases still moving.
    stats_folded: Mapped[bool] = mapped_column(default=False, server_default=false())

    # Only the HMAC of the lookup token derived from the case code, and the reporter's
    # public key (replies are sealed to it): the code itself is never stored.
    reporter_lookup_hmac: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    reporter_public_key: Mapped[str | None] = mapped_column(String(64))
    # HMAC of the report form's one-time token: the same form sent twice is one case.
    submission_token_hmac: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    narrative_envelope: Mapped[str | None] = mapped_column(Text)
    # The same text sealed to the reporter's key, so the inbox can show them what they wrote;
    # none for a report sent before this copy was made, or one without a reply key.
    reporter_copy_envelope: Mapped[str | None] = mapped_column(Text)

    # Its slug is bound into every envelope of the case (crypto.EnvelopeContext).
    line: Mapped[Line] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Message.created_at"
    )
    callbacks: Mapped[list[Callback]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Callback.slot_start"
    )


class Message(Base):
    __tablename__ = "message"
    shown_in_repr = ("id", "direction")
    __table_args__ = (
        CheckConstraint(
            "(direction = 'to_reporter') = (author_staff_id IS NOT NULL)",
            name="author_iff_outgoing",
        ),
        Index("ix_message_case_created", "case_id", "created_at"),
        # A case's unread messages from the reporter, counted from the index alone.
        Index("ix_message_case_unread", "case_id", "direction", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))
    envelope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A reply is sealed to the reporter's key, which no lawyer holds; this second sealing to
    # the line key lets colleagues read the whole thread.
    line_copy_envelope: Mapped[str | None] = mapped_column(Text)
    # The reverse for a reporter's message: sealed to their own key as well, so they can
    # reread it (none for a message sent before this copy was made).
    reporter_copy_envelope: Mapped[str | None] = mapped_column(Text)
    # The author's Ed25519 signature over the reply (crypto.signatures); none for a reply the
    # server sealed (sent without JavaScript) or sent before replies were signed.
    signature: Mapped[str | None] = mapped_column(String(100))
    # The signing key the signature was checked with on arrival, and an HMAC under an instance
    # key over the reply, its signature and that key: the inbox trusts these, not whatever
    # key the author has now (services/reply_signatures).
    signer_key: Mapped[str | None] = mapped_column(String(64))
    signature_mac: Mapped[bytes | None] = mapped_column(LargeBinary(32))

    case: Mapped[Case] = relationship(back_populates="messages")


class Callback(Base):
    __tablename__ = "callback"
    shown_in_repr = ("id", "status", "slot_start")
    __table_args__ = (
        CheckConstraint("slot_end > slot_start", name="slot_has_length"),
        CheckConstraint("attempts >= 1", name="attempts_positive"),
        Index("ix_callback_slot_status", "slot_start", "status"),
        # A case's callbacks, and its next booked one, without reading every callback.
        Index("ix_callback_case_status", "case_id", "status", "slot_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[CallbackStatus] = mapped_column(
        _enum(CallbackStatus, "callback_status"), default=CallbackStatus.BOOKED
    )
    attempts: Mapped[int] = mapped_column(default=1)
    # Deleted (set to NULL) as soon as the callback is done or the case closes.
    contact_envelope: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="callbacks")


class CaseDecline(Base):
    """A lawyer declined a case for a conflict of interest: from then on it is closed to them."""

    __tablename__ = "case_decline"
    shown_in_repr = ("case_id", "staff_id")
    __table_args__ = (UniqueConstraint("case_id", "staff_id", name="uq_case_decline_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    declined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Tamper-evident log: numbered events, each keyed to the one before (see advisory.audit).

    A row is inserted unlinked and gets its number and links when its transaction commits;
    a committed row without them is a break in the chain.
    """

    __tablename__ = "audit_event"
    shown_in_repr = ("id", "action")
    __table_args__ = (
        CheckConstraint(
            "(seq IS NULL) = (prev_hash IS NULL) AND (seq IS NULL) = (hash IS NULL)",
            name="linked_all_or_none",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Gapless from 1 in chain order: a removed event leaves a gap that names it.
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(64))
    # The public reference, not a foreign key: the trail outlives deleted cases.
    case_reference: Mapped[str | None] = mapped_column(String(9), index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON, never case content
    # Unique: two links to one predecessor cannot both be stored, so the chain never forks.
    prev_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # HMAC-SHA256, hex


class Attachment(Base):
    """An evidence file, sealed before it is stored: the server never holds its name, type,
    true size or a readable byte.

    Its bytes are a stream of AES-256-GCM chunks (crypto/stream.py) under a content key of
    its own, padded to a size bucket. The content key, name, type and true size travel only
    in `header_envelope`: sealed to the line for a reporter's file, or to the reporter for a
    lawyer's, with `line_copy_envelope` so colleagues can open it too.

    While an upload is under way the file belongs to no case (`case_id` is NULL): the
    uploader's token (kept as `upload_token_hmac`) adds chunks, and `owner_hmac` names what
    may claim it (the report form, or the case). It joins its case in the same transaction
    that stores the report or message, or not at all; unclaimed uploads go at `expires_at`.
    """

    __tablename__ = "attachment"
    shown_in_repr = ("id", "case_id", "chunks_received", "chunk_count")
    __table_args__ = (
        CheckConstraint("chunks_received BETWEEN 0 AND chunk_count", name="chunks_in_range"),
        CheckConstraint(
            "(case_id IS NULL) = (header_envelope IS NULL)", name="header_iff_attached"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))
    upload_token_hmac: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    owner_hmac: Mapped[bytes] = mapped_column(LargeBinary(32))
    header_envelope: Mapped[str | None] = mapped_column(Text)
    line_copy_envelope: Mapped[str | None] = mapped_column(Text)
    padded_bytes: Mapped[int]
    chunk_count: Mapped[int]
    chunks_received: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    case: Mapped[Case | None] = relationship()


class AttachmentChunk(Base):
    """One sealed chunk of an attachment's stream, in order."""

    __tablename__ = "attachment_chunk"
    shown_in_repr = ("attachment_id", "seq")

    attachment_id: Mapped[int] = mapped_column(
        ForeignKey("attachment.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class ReceiptLink(Base):
    """Where the receipt of a report just sent is shown again (post/redirect/get).

    The link's token is random and kept only as an HMAC. A case code made on the server (a
    report sent without JavaScript) waits here for the first view only, encrypted under a key
    derived from the token, which the server does not keep: the database alone never holds
    a readable code. The link lives a few minutes; its row goes with its case.
    """

    __tablename__ = "receipt_link"
    shown_in_repr = ("id", "expires_at")

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hmac: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    sealed_code: Mapped[str | None] = mapped_column(Text)
    sealed_in_browser: Mapped[bool]
    # A callback was asked for and no place was free: the case is answered in the inbox, and
    # the receipt says why (the case itself records only how it will be answered).
    callback_unbooked: Mapped[bool]
    # What metadata was taken out of each file sealed on arrival (finding keys), for the
    # receipt to say, sealed under the token's key as `sealed_code` is; the browser says it
    # itself. Never a file's name.
    removed_from_files: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    case: Mapped[Case] = relationship()


class Notification(Base):
    """A note for staff. Carries a case reference and a kind, never case content."""

    __tablename__ = "notification"
    shown_in_repr = ("id", "kind")
    __table_args__ = (
        Index("ix_notification_recipient_unread", "staff_id", "read_at"),
        Index("ix_notification_email_pending", "emailed_at", "email_claimed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    # When staff_id is NULL the note is for everyone holding this role.
    role: Mapped[Role | None] = mapped_column(_enum(Role, "notification_role"))
    kind: Mapped[str] = mapped_column(String(40))
    case_reference: Mapped[str | None] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Names the event ("breached:42"): a sweep that runs twice cannot notify twice.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    # An audit log anchor (`SEQ:DIGEST`) for the coordinator to keep; no case content.
    audit_anchor: Mapped[str | None] = mapped_column(String(100))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CallbackSlot(Base):
    """Bookings per line and callback slot, so taking the last place is one conditional
    UPDATE. Each line has its own places (its roster and capacity): a booking on one line
    never takes a place of another line's slot that starts at the same time."""

    __tablename__ = "callback_slot"
    shown_in_repr = ("line_id", "slot_start", "booked")
    __table_args__ = (
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("slot_end > slot_start", name="slot_has_length"),
    )

    line_id: Mapped[int] = mapped_column(ForeignKey("line.id"), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime)
    booked: Mapped[int] = mapped_column(default=0)


class SchedulerLock(Base):
    """On SQLite, the one-scheduler lock: a row whose heartbeat the holder keeps fresh."""

    __tablename__ = "scheduler_lock"
    shown_in_repr = ("name", "owner")

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(80))
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class _StatsCell:
    """The columns of a rollup cell, by day or by month: the line, categories, metric, bucket,
    count."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # The line whose case was counted: figures are summed over the lines asked for.
    line_id: Mapped[int] = mapped_column(ForeignKey("line.id"))
    channel: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    reporter_role: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(40))
    bucket: Mapped[int] = mapped_column(default=0)
    count: Mapped[int] = mapped_column(default=0)


def _one_count_per_cell(period: str, name: str) -> tuple[UniqueConstraint, CheckConstraint]:
    """A cell is its line, period, categories, metric and bucket; its count is never negative."""
    categories = ("channel", "kind", "reporter_role", "field")
    return (
        UniqueConstraint("line_id", period, *categories, "metric", "bucket", name=name),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )


class StatsDaily(_StatsCell, Base):
    """Aggregate figures that outlive deleted cases: a count per line, day, category and metric.

    Categories are stored as plain text ("-" for not answered) so the unique key has no NULLs;
    "*" means summed over that category: per day only channel and kind are kept (role and
    field are in `StatsMonthly`), and response-time histograms are by channel only.
    Response times are histogram buckets (`bucket` = lower bound in minutes), fine enough to
    recompute medians and percentiles for any period.
    """

    __tablename__ = "stats_daily"
    shown_in_repr = ("line_id", "day", "metric", "bucket", "count")
    __table_args__ = (
        *_one_count_per_cell("day", "uq_stats_daily_cell"),
        # Covering: a metric over a range of days, of some lines, is read from the index alone.
        Index(
            "ix_stats_daily_metric_day",
            "metric",
            "day",
            "line_id",
            "channel",
            "kind",
            "bucket",
            "count",
        ),
    )

    day: Mapped[date] = mapped_column(Date)


class StatsMonthly(_StatsCell, Base):
    """The same figures per calendar month (line-local), with every category.

    Written together with `StatsDaily` (advisory/stats.py): the yearly report and the whole
    months of a long period are read from here, a few thousand rows a year instead of hundreds
    of thousands; `month` is the first day of the month.
    """

    __tablename__ = "stats_monthly"
    shown_in_repr = ("line_id", "month", "metric", "bucket", "count")
    __table_args__ = (
        *_one_count_per_cell("month", "uq_stats_monthly_cell"),
        Index(
            "ix_stats_monthly_metric_month",
            "metric",
            "month",
            "line_id",
            "channel",
            "kind",
            "reporter_role",
            "field",
            "bucket",
            "count",
        ),
    )

    month: Mapped[date] = mapped_column(Date)
