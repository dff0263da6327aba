"""The values the core and its storage hand each other, beside the domain's own.

Each is what a repository returns or takes, in the core's terms: storage maps them to and from
its tables, and nothing outside `storage/` knows a column name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.domain import EventKind, Kind, LinkStatus, Person, Platform, Severity, State


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Which items a listing shows: newest first unless `oldest_first`, after `after_id` for the
    next page; only those of `ids` when given (a search's page)."""

    state: State | None = None
    source: str | None = None
    since: datetime | None = None
    after_id: int | None = None
    limit: int = 50
    claimed_by: int | None = None
    oldest_first: bool = False
    ids: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class CardCopy:
    """Where one copy of an item's card lives; `message_id` is None until it is posted."""

    id: int
    feedback_id: int
    platform: Platform
    channel: str
    message_id: str | None
    extra: dict[str, Any]
    # In a sensitive item's restricted channel: the one kind of copy that shows its words.
    restricted: bool = False


class OutboxAction(StrEnum):
    """What an outbox message asks a chat platform (or a webhook receiver) to do."""

    POST_CARD = "post_card"
    UPDATE_CARD = "update_card"
    NOTE = "note"
    MENTION = "mention"
    WEBHOOK = "webhook"
    DIRECT = "direct"  # a direct message to one person (by email): payload has email and text
    REPLY = "reply"  # an answer to the customer (`payload["reply_id"]`)
    SUMMARY = "summary"  # a flood's summary (`bot.delivery.floods`), posted once then updated
    POST_ALERT = "post_alert"  # a spike alert's copy in one channel (`payload["copy_id"]`)
    UPDATE_ALERT = "update_alert"
    REDACT_NOTE = "redact_note"  # rewrite a thread note (`payload["note_id"]`, `["text"]`)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message leased for sending; `payload` names the card copy and event (or is a
    webhook's body)."""

    id: int
    platform: Platform
    channel: str
    action: OutboxAction
    feedback_id: int | None
    payload: dict[str, Any]
    attempts: int
    priority: int = 0  # higher goes first in its channel


@dataclass(frozen=True, slots=True)
class FailedMessage:
    """A message the outbox gave up on, kept so an operator can send it again."""

    id: int
    channel: str
    payload: dict[str, Any]
    error: str


@dataclass(frozen=True, slots=True)
class InboxDelivery:
    """A platform delivery acknowledged and recorded, leased for handling."""

    id: int
    platform: Platform
    payload: dict[str, Any]
    attempts: int  # tries that failed before this one


@dataclass(frozen=True, slots=True)
class TokenScope:
    """What an API token may do: submit items of `sources` only (None: of any source), read
    items and customers only when `read` (else it may only write), erase a customer only when
    `erase` (a lead's token)."""

    sources: frozenset[str] | None = None
    read: bool = False
    erase: bool = False

    def allows(self, source: str) -> bool:
        return self.sources is None or source in self.sources


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """A live token as a request presents it: whose it is and what it may do."""

    name: str
    scope: TokenScope


@dataclass(frozen=True, slots=True)
class TokenInfo:
    name: str
    created_at: datetime
    revoked_at: datetime | None
    scope: TokenScope


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One configuration change: the key, its old and new value (secrets masked), who, when."""

    id: int
    key: str
    old: dict[str, Any]
    new: dict[str, Any]
    actor: Person | None
    platform: Platform
    at: datetime


@dataclass(frozen=True, slots=True)
class HelperRow:
    """How many events of one kind one person made in one stretch of time (by its index)."""

    person_id: int
    name: str
    email: str | None
    kind: EventKind
    stretch: int
    count: int


@dataclass(frozen=True, slots=True)
class IssueLinkRow:
    """An item's link to a tracker issue, with the item's customer (lower-cased email)."""

    url: str
    title: str
    status: LinkStatus
    awaiting_reply: bool
    changed_at: datetime
    feedback_id: int
    customer_email: str | None


@dataclass(frozen=True, slots=True)
class ThemeRow:
    """An item that arrived in the digest's themes window, with its text cut short.

    `kind` and `severity` are there for the mood: a crash report is negative whatever its words.
    """

    feedback_id: int
    arrived: datetime
    title: str | None
    body: str
    tags: list[str]
    source: str
    customer_name: str | None
    url: str | None
    kind: Kind
    severity: Severity


@dataclass(frozen=True, slots=True)
class WaitingRow:
    """An item waiting for someone to claim it, with what the digest shows of it."""

    id: int
    title: str | None
    body: str
    kind: Kind
    severity: Severity
    source: str
    arrived: datetime
    sensitive_rule: str | None = None


@dataclass(frozen=True, slots=True)
class Backlog:
    """Work waiting in the database: outbox messages (and when the oldest was written), and
    inbox deliveries not yet handled."""

    outbox: int
    oldest_outbox: datetime | None
    inbox: int


@dataclass(frozen=True, slots=True)
class StoredSource:
    """A registered source as stored: its secret and credentials still sealed."""

    name: str
    kind: str
    sealed_secret: str | None
    sealed_credentials: str | None
    options: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredTracker:
    """A registered issue tracker as stored: its webhook secret still sealed."""

    name: str
    kind: str
    sealed_secret: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RawDelivery:
    """What a source sent, kept as it came (bounded) so a fixed parser can read it again."""

    id: int
    source: str
    event_id: str
    received_at: datetime
    content_type: str
    headers: dict[str, str]
    body: bytes
    status: str  # DeliveryStatus
    error: str | None


@dataclass(frozen=True, slots=True)
class RunClaim:
    """Who claimed one run of a job, and whether it finished: an unfinished claim is a run in
    progress, or one whose process stopped mid-way."""

    key: str
    owner: str
    finished: bool


@dataclass(frozen=True, slots=True)
class PollState:
    """Where polling a source got to: everything it changed up to `reached` is kept; the last
    poll's time, and why it failed when it did (for the operator)."""

    reached: datetime | None
    polled_at: datetime | None
    error: str | None


@dataclass(frozen=True, slots=True)
class MailboxPosition:
    """How far a mailbox has been read: the last UID kept, under the folder's UIDVALIDITY
    (None: never read). A new UIDVALIDITY numbers the folder afresh, so reading starts over."""

    uidvalidity: int | None
    last_uid: int

    def read_up_to(self, uidvalidity: int) -> int:
        """The last UID already kept in a folder now numbered under `uidvalidity`."""
        return self.last_uid if self.uidvalidity == uidvalidity else 0


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # stored, not yet applied
    APPLIED = "applied"
    UNUSABLE = "unusable"  # the parser could not read it: kept for a replay
