"""What the core asks of its storage, one protocol per aggregate, in the core's own terms.

`storage/repositories/` implements each over SQL; a unit of work (`bot.ports.store`) hands out
one of each, all sharing its transaction. Methods take and return domain objects and the
records in `bot.ports.records`; a guarded change returns whether it won (False: the item was
not in a state that allows it, or someone else changed it first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.domain import (
    EventKind,
    Identity,
    Link,
    LinkStatus,
    Person,
    Platform,
)
from bot.ports.records import (
    AuditEntry,
    CardCopy,
    FailedMessage,
    HelperRow,
    InboxDelivery,
    IssueLinkRow,
    MailboxPosition,
    OutboxAction,
    OutboxMessage,
    PollState,
    RawDelivery,
    RunClaim,
    StoredSource,
    StoredTracker,
    ThemeRow,
    TokenGrant,
    TokenInfo,
    TokenScope,
    WaitingRow,
)


class PeopleRepository(Protocol):
    def get(self, person_id: int) -> Person: ...

    def by_email(self, email: str) -> Person | None: ...

    def identities(self, person_id: int) -> list[Identity]: ...

    def resolve(self, identity: Identity, now: datetime) -> Person:
        """The person behind an identity, created on first sight and linked by email."""
        ...

    def ensure(self, name: str, email: str, now: datetime) -> Person:
        """A person known only by email (a lead or exec configured before they ever chatted)."""
        ...

    def flagged(self, *, leads: bool = False, execs: bool = False) -> list[Person]: ...

    def set_flags(
        self, person_id: int, *, is_lead: bool | None = None, is_exec: bool | None = None
    ) -> None: ...


class CardRepository(Protocol):
    def add_pending(
        self, item_id: int, platform: Platform, channel: str, now: datetime, *, restricted: bool
    ) -> int | None:
        """Reserve a card copy before it is posted; None when that copy exists already.
        `restricted`: in a sensitive item's restricted channel (the copy shows its words)."""
        ...

    def for_item(self, item_id: int) -> list[CardCopy]: ...

    def get(self, item_id: int, platform: Platform, channel: str) -> CardCopy | None: ...

    def by_message(self, platform: Platform, message_id: str) -> CardCopy | None: ...

    def mark_posted(self, copy_id: int, message_id: str, extra: dict[str, Any]) -> None: ...


class OutboxRepository(Protocol):
    enqueued: int  # in this unit of work, so the sender is woken only when needed

    def enqueue(
        self,
        platform: Platform,
        channel: str,
        action: OutboxAction,
        feedback_id: int | None,
        payload: dict[str, Any],
        now: datetime,
        *,
        priority: int = 0,
    ) -> None: ...

    def any_due(
        self,
        platforms: Iterable[Platform],
        now: datetime,
        skip: Iterable[tuple[Platform, str]] = (),
    ) -> bool:
        """Whether a message is due outside the channels in `skip` (they are being sent)."""
        ...

    def lease_due(
        self,
        platforms: Iterable[Platform],
        now: datetime,
        lease: timedelta,
        limit: int,
        skip: Iterable[tuple[Platform, str]] = (),
    ) -> list[OutboxMessage]:
        """Take due messages for `lease`, each channel from its first pending message on:
        highest priority first, then oldest first."""
        ...

    def waiting_ahead(self, platform: Platform, channel: str, priority: int) -> bool:
        """Whether a message above `priority` waits in the channel (it should go next)."""
        ...

    def mark_sent(self, message_id: int, now: datetime, note_id: str | None = None) -> None:
        """Sent; a thread note's platform id is kept with it (`payload["note_id"]`)."""
        ...

    def retry_at(
        self,
        message_ids: Iterable[int],
        when: datetime,
        error: str | None = None,
        *,
        tried: bool = True,
    ) -> None: ...

    def give_up(self, message_id: int, error: str) -> None: ...

    def failed(self, platform: Platform) -> list[FailedMessage]: ...

    def retry_failed(self, message_id: int, now: datetime) -> bool:
        """Queue a given-up message again from its first attempt."""
        ...

    def pending(self) -> int: ...

    def backlog(self) -> tuple[int, datetime | None]:
        """How many messages wait to be sent, and when the oldest of them was written."""
        ...


class InboxRepository(Protocol):
    recorded: int  # in this unit of work, so other processes' workers are woken

    def record(
        self, deliveries: Sequence[tuple[Platform, str, dict[str, Any]]], now: datetime
    ) -> None:
        """Add each (platform, delivery id, payload) not recorded before."""
        ...

    def take(
        self, now: datetime, lease_until: datetime, limit: int, platforms: Sequence[Platform]
    ) -> list[InboxDelivery]: ...

    def finish(self, ids: Sequence[int], now: datetime) -> None: ...

    def retry_at(self, delivery_id: int, at: datetime) -> None: ...

    def pending(self) -> int: ...

    def forget(self, done_before: datetime) -> int: ...


class TokenRepository(Protocol):
    def add(self, name: str, token_hash: str, scope: TokenScope, now: datetime) -> bool:
        """False when a live token has that name already."""
        ...

    def grant_for_hash(self, token_hash: str) -> TokenGrant | None:
        """The live token with that hash, or None."""
        ...

    def scope_of(self, name: str) -> TokenScope | None:
        """What the live token named `name` may do, or None when there is none."""
        ...

    def all(self) -> list[TokenInfo]: ...

    def revoke(self, name: str, now: datetime) -> bool: ...


class RateBucketRepository(Protocol):
    """Token buckets kept in the database, so every replica spends from the same one."""

    def spend(self, key: str, cost: float, rate: float, burst: float, now: float) -> float:
        """Take `cost` from `key`'s bucket (refilled at `rate` per second up to `burst`, full
        on first use) in one guarded update, so two processes never spend the same tokens.
        0 when taken; otherwise nothing is taken and the answer is the seconds until `cost`
        would be there. `now` is in seconds since the epoch."""
        ...


class JobRepository(Protocol):
    """Claims that make a job, or a platform delivery, happen once across every replica."""

    def claim_run(self, job: str, key: str, owner: str, now: datetime) -> bool: ...

    def finish_run(self, job: str, key: str, now: datetime) -> None: ...

    def forget_runs(self, job: str, started_before: datetime) -> int:
        """Delete the job's claims older than any run still to come; how many."""
        ...

    def release_run(self, job: str, key: str) -> None: ...

    def claims(self, job: str, keys: Iterable[str]) -> list[RunClaim]:
        """The claims among `keys` that exist, finished or not."""
        ...

    def first_delivery(self, platform: Platform, delivery_id: str, now: datetime) -> bool: ...

    def forget_deliveries(self, seen_before: datetime) -> int: ...


class ConfigRepository(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def all(self) -> dict[str, dict[str, Any]]: ...

    def put(
        self,
        key: str,
        value: dict[str, Any],
        actor_id: int | None,
        platform: Platform,
        now: datetime,
        redact: Callable[[dict[str, Any]], dict[str, Any]] = dict,
    ) -> dict[str, Any]:
        """Set `key` and audit the change (through `redact`); returns the old value."""
        ...

    def audit(self, limit: int = 50) -> list[AuditEntry]: ...


class ConversationRepository(Protocol):
    """Where a chat platform lets the bot write on its own (Teams: a conversation reference
    captured at install time, and each user's chat id), kept for every replica."""

    def remember(
        self, conversation_id: str, reference: dict[str, Any], team_id: str | None, now: datetime
    ) -> None: ...

    def newest_team(self) -> str | None:
        """The team id of the install seen last."""
        ...

    def references(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        """(conversation id, team id, reference) for every conversation, newest first."""
        ...

    def remember_user(self, account_id: str, chat_id: str, now: datetime) -> None: ...

    def chat_ids(self, account_ids: Sequence[str]) -> list[str]: ...


class LinkRepository(Protocol):
    """Items' links to the tracker issues that fix them (one per item and issue URL)."""

    def add(self, feedback_id: int, url: str, title: str, now: datetime) -> bool:
        """False when the item is linked to this issue already."""
        ...

    def for_items(self, item_ids: Sequence[int]) -> dict[int, tuple[Link, ...]]: ...

    def items_linked(self, url: str) -> list[int]:
        """Every item linked to the issue at `url`."""
        ...

    def set_status(
        self, feedback_id: int, url: str, title: str, status: LinkStatus, now: datetime
    ) -> bool:
        """The issue's status as its tracker says now; False when the link had it already."""
        ...


class TrackerRepository(Protocol):
    """Registered issue trackers (their webhook secrets sealed)."""

    def add(self, tracker: StoredTracker) -> bool:
        """False when a tracker of that name exists already."""
        ...

    def get(self, name: str) -> StoredTracker | None: ...

    def all(self) -> list[StoredTracker]: ...

    def remove(self, name: str) -> bool: ...


class SourceRepository(Protocol):
    """Registered sources, what they delivered (raw), and the keys their conversations go by."""

    def add(self, source: StoredSource) -> bool:
        """False when a source of that name exists already."""
        ...

    def get(self, name: str) -> StoredSource | None: ...

    def all(self) -> list[StoredSource]: ...

    def remove(self, name: str) -> bool: ...

    def record(
        self,
        source: str,
        event_id: str,
        content_type: str,
        headers: dict[str, str],
        body: bytes,
        status: str,
        error: str | None,
        now: datetime,
    ) -> int | None:
        """Keep one delivery as it came; None when this source delivered `event_id` before."""
        ...

    def delivery(self, delivery_id: int) -> RawDelivery | None: ...

    def deliveries(self, delivery_ids: Sequence[int]) -> list[RawDelivery | None]:
        """The deliveries in the order asked (None for one that is not kept)."""
        ...

    def mark(self, delivery_id: int, status: str, error: str | None) -> None: ...

    def mark_each(self, outcomes: Sequence[tuple[int, str, str | None]]) -> None:
        """Several deliveries' (id, status, error) at once."""
        ...

    def remember_keys(self, source: str, keys: Sequence[str], item_id: int) -> None:
        """Later deliveries naming any of these keys belong to this item."""
        ...

    def item_for_keys(self, source: str, keys: Sequence[str]) -> int | None:
        """The item a conversation key belongs to: an item's own external id, or a key
        remembered for it; the first key that matches wins."""
        ...

    def poll_state(self, source: str) -> PollState | None:
        """Where polling the source got to; None before its first poll."""
        ...

    def save_poll(
        self, source: str, reached: datetime | None, polled_at: datetime, error: str | None
    ) -> None:
        """Record a poll: `reached` only ever moves forward (None keeps it where it was)."""
        ...


class MailboxRepository(Protocol):
    """How far each polled mailbox has been read, and which process may read it now."""

    def claim(
        self, source: str, owner: str, now: datetime, until: datetime
    ) -> MailboxPosition | None:
        """Take (or renew) the mailbox's lease until `until`; its position, or None while
        another owner's lease runs."""
        ...

    def advance(
        self, source: str, owner: str, uidvalidity: int, last_uid: int, until: datetime
    ) -> bool:
        """Move the position on and the lease to `until`; False when `owner` no longer holds
        the lease."""
        ...

    def release(self, source: str, owner: str) -> None: ...

    def position(self, source: str) -> MailboxPosition | None: ...

    def forget(self, source: str) -> None: ...


class DigestQueries(Protocol):
    """The digest's aggregates over items and the event log; day buckets come as UTC bounds.

    An item arrives when the customer wrote (`received_at`), or when All Hands stored it if
    that was earlier (a source whose clock runs ahead): so imported history counts on the days
    customers wrote, and no item is closed before it arrived.
    """

    def arrivals_by_day(self, bounds: Sequence[datetime]) -> dict[tuple[int, str], int]: ...

    def transitions_by_day(
        self, bounds: Sequence[datetime], kinds: Sequence[EventKind]
    ) -> dict[tuple[int, EventKind], int]: ...

    def backlog_at(self, moment: datetime) -> int: ...

    def work_by_person(
        self, bounds: Sequence[datetime], kinds: Sequence[EventKind], platforms: Sequence[Platform]
    ) -> list[HelperRow]:
        """Events of `kinds` made from `platforms`, per person and per stretch of time: stretch
        i is [bounds[i], bounds[i+1])."""
        ...

    def minutes_since_arrival(
        self, kinds: Sequence[EventKind], start: datetime, end: datetime
    ) -> list[tuple[EventKind, float]]:
        """For each event of `kinds` in [start, end): minutes from its item's arrival to it."""
        ...

    def arrivals(self, start: datetime, end: datetime, stride: int) -> list[ThemeRow]:
        """Items that arrived in [start, end), for themes and quotes: never a sensitive one,
        whose words are for its restricted channel only."""
        ...

    def waiting(self, end: datetime, limit: int) -> tuple[int, list[WaitingRow]]:
        """(how many, the first `limit` by arrival) of the items open at `end` that nobody
        has claimed now."""
        ...

    def issue_links(self, closed_since: datetime | None) -> list[IssueLinkRow]:
        """Links to issues open now, and (unless None) to issues closed since `closed_since`."""
        ...

    def csat_scores(self, start: datetime, end: datetime) -> list[int]:
        """Each item's latest satisfaction score given in [start, end)."""
        ...


class VectorRepository(Protocol):
    """Items' text vectors per embedder (float32 bytes), stored beside the items: themes read
    them, and so can duplicate detection and search, without computing any twice."""

    def get(self, embedder: str, item_ids: Sequence[int]) -> dict[int, bytes]:
        """{item id: vector} for those of `item_ids` that have one under `embedder`."""
        ...

    def since(self, embedder: str, after_id: int) -> dict[int, bytes]:
        """{item id: vector} of every item after `after_id` with one under `embedder`."""
        ...

    def put(self, embedder: str, dimensions: int, vectors: dict[int, bytes], now: datetime) -> None:
        """Store vectors; one another process stored first is kept (they are the same)."""
        ...
