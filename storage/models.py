"""SQLAlchemy 2 typed models. Every change here needs an Alembic migration (a test checks)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for long-lived tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class PersonRow(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    is_exec: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class IdentityRow(Base):
    """A person's account on one platform (Slack user, Teams AAD object, API token, CLI)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class FeedbackRow(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_feedback_state_received", "state", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    tags: Mapped[list[str]]
    product_area: Mapped[str | None] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(2000))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_company: Mapped[str | None] = mapped_column(String(200))
    customer_tier: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(16))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    claimed_platform: Mapped[str | None] = mapped_column(String(16))
    claimed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    closed_platform: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    notify_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    source_status: Mapped[str | None] = mapped_column(String(64))
    csat: Mapped[int | None] = mapped_column(SmallInteger)  # the customer's latest score, 1-5
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    sensitive_rule: Mapped[str | None] = mapped_column(String(80))
    # a repeat: the item whose card it attached to (its own card is not posted)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"), index=True)


# A customer's earlier items (the history on their card): the address in any case, newest last.
Index("ix_feedback_customer", func.lower(FeedbackRow.customer_email), FeedbackRow.id)


class CommentRow(Base):
    """One message of the discussion; `external_id` lets edits and deletions in chat follow it."""

    __tablename__ = "comments"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime]
    edited_at: Mapped[datetime | None]


class EventRow(Base):
    """Append-only history: the digest and leaderboards read these, never guesses."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    platform: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class ApiTokenRow(Base):
    """Ingest API credentials; only a SHA-256 of the token is kept. A name is unique among the
    live tokens only, so a revoked token's name can be given to its successor."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        Index(
            "uq_api_tokens_live_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # What it may do (`TokenScope`): the sources it may submit (NULL: any), whether it may read.
    sources: Mapped[list[str] | None]
    can_read: Mapped[bool] = mapped_column(Boolean)
    can_erase: Mapped[bool] = mapped_column(Boolean, default=False)  # a lead's: erasures


class IdempotencyKeyRow(Base):
    """An `Idempotency-Key` seen from one token, and the item it produced."""

    __tablename__ = "idempotency_keys"

    token_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]


class CardMessageRow(Base):
    """One copy of an item's card in one chat channel; `message_id` is null until it is posted."""

    __tablename__ = "card_messages"
    __table_args__ = (UniqueConstraint("feedback_id", "platform", "channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str | None] = mapped_column(String(300), index=True)
    extra: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)


class OutboxRow(Base):
    """An outbound chat call written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(32))
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Higher goes first in its channel: an urgent or high item's card overtakes a backlog.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class InboundDeliveryRow(Base):
    """Ids of platform deliveries already handled, so retries and duplicates do nothing twice."""

    __tablename__ = "inbound_deliveries"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)


class InboxRow(Base):
    """A platform delivery acknowledged before it was handled: the work an answer promised.

    The (platform, delivery id) pair is unique, so a retried or duplicated delivery adds
    nothing. A handled row keeps its ids (and drops its payload) for a day, to keep saying no.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "delivery_id"),
        # A batch is the first entries under done_at NULL, however long the backlog.
        Index("ix_inbox_undone_in_order", "done_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any] | None]
    received_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    leased_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]


class TeamsConversationRow(Base):
    """A Teams conversation the bot was installed in: the reference proactive cards start from."""

    __tablename__ = "teams_conversations"

    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    team_id: Mapped[str | None] = mapped_column(String(300), index=True)
    reference: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class TeamsUserRow(Base):
    """A Teams user's chat id (29:...) by AAD object id, so a card can refresh for its claimer."""

    __tablename__ = "teams_users"

    aad_object_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime]


class ConfigRow(Base):
    """One configuration value set from chat or the CLI; read by every replica."""

    __tablename__ = "config"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class AuditRow(Base):
    """Append-only record of configuration changes: who, when, old and new value."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    old: Mapped[dict[str, Any]]
    new: Mapped[dict[str, Any]]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    platform: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(index=True)


class JobRunRow(Base):
    """A scheduled job's run for one key (date, target): the row decides which replica runs it."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class SourceRow(Base):
    """A place feedback arrives from (a helpdesk, a survey, a mailbox, an app store).

    Its secret and credentials are sealed with ALLHANDS_SECRET_KEY before they are stored.
    """

    __tablename__ = "sources"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    sealed_secret: Mapped[str | None] = mapped_column(Text)
    sealed_credentials: Mapped[str | None] = mapped_column(Text)
    options: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class SourceDeliveryRow(Base):
    """One delivery from a source, kept raw (bounded) before it is parsed, so a parser bug
    loses nothing; (source, event id) is unique, so a vendor's retry adds nothing."""

    __tablename__ = "source_deliveries"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[datetime] = mapped_column(index=True)
    content_type: Mapped[str] = mapped_column(String(200))
    headers: Mapped[dict[str, Any]]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)


class SourceThreadRow(Base):
    """A key a source's conversation goes by besides the item's external id (an email's
    Message-ID), so replies that name it land on the same item."""

    __tablename__ = "source_threads"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)


class SourcePollRow(Base):
    """Where polling a source (an app store) got to, so a restart neither loses nor repeats
    what it holds; and how the last poll went."""

    __tablename__ = "source_polls"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    reached: Mapped[datetime | None]
    polled_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class MailboxStateRow(Base):
    """How far a polled mailbox (an IMAP folder) has been read, and who reads it: the lease
    makes one process at a time read it, whichever replica; UIDs are 32-bit unsigned."""

    __tablename__ = "mailbox_state"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    owner: Mapped[str | None] = mapped_column(String(200))
    leased_until: Mapped[datetime | None]


class RateBucketRow(Base):
    """A token bucket every replica spends from (one per API token): `tokens` left when last
    spent, at `refilled_at` (seconds since the epoch). One guarded UPDATE spends, so two
    replicas never spend the same tokens."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Double)
    refilled_at: Mapped[float] = mapped_column(Double)


class ItemVectorRow(Base):
    """An item's text as a vector (float32 bytes), per embedder: computed once, read by every
    replica; an embedder under a new name gets vectors of its own rather than mixing them."""

    __tablename__ = "item_vectors"

    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    embedder: Mapped[str] = mapped_column(String(100), primary_key=True)
    dimensions: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class FeedbackLinkRow(Base):
    """An item waiting on an issue in the team's tracker (the fix); one row per item and issue,
    so linking the same issue twice adds nothing. `awaiting_reply`: the fix shipped and nobody
    has told the customer yet."""

    __tablename__ = "feedback_links"
    __table_args__ = (UniqueConstraint("feedback_id", "url"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(500), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    awaiting_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TrackerRow(Base):
    """An issue tracker whose webhooks tell us a linked fix shipped; its secret sealed with
    ALLHANDS_SECRET_KEY before it is stored."""

    __tablename__ = "trackers"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    sealed_secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ReplyRow(Base):
    """An answer to the customer, with the email it sends: its Message-ID is fixed here, so
    every attempt to send it carries the same one (a vendor reply's marker, likewise)."""

    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    sender: Mapped[str] = mapped_column(String(320))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(400))
    text: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(300))
    thread_refs: Mapped[str] = mapped_column(Text)  # References, space-separated, oldest first
    at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CardFloodRow(Base):
    """New cards one source sent one channel in one hour; past the threshold, how many were
    held back and the one summary message that counts them."""

    __tablename__ = "card_floods"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(300), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    shown: Mapped[int] = mapped_column(Integer)
    held: Mapped[int] = mapped_column(Integer)
    summary_queued: Mapped[bool] = mapped_column(Boolean)  # an unsent SUMMARY message exists
    message_id: Mapped[str | None] = mapped_column(String(300))  # the summary, once posted
    extra: Mapped[dict[str, Any] | None]


class SpikeAlertRow(Base):
    """A spike of one tag or source on one local day; (dimension, key, day) is unique, so the
    replica that inserts it is the one that alerts."""

    __tablename__ = "spike_alerts"
    __table_args__ = (UniqueConstraint("dimension", "key", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date, index=True)
    count: Mapped[int] = mapped_column(Integer)
    usual: Mapped[float] = mapped_column(Double)
    threshold: Mapped[int] = mapped_column(Integer)
    newest_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SpikeAlertCopyRow(Base):
    """One copy of a spike alert in one channel; `message_id` is null until it is posted."""

    __tablename__ = "spike_alert_copies"
    __table_args__ = (UniqueConstraint("alert_id", "platform", "channel"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("spike_alerts.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str | None] = mapped_column(String(300))
    extra: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class ErasureRow(Base):
    """One person's erasure as it goes: the address is kept only until it is done (a crashed
    run is taken up again from here); the lease says which process is at it."""

    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    platform: Mapped[str] = mapped_column(String(16))
    counts: Mapped[dict[str, Any]]
    owner: Mapped[str | None] = mapped_column(String(200))
    leased_until: Mapped[datetime | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
