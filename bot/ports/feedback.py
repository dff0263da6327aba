"""What the core asks of storage about feedback items themselves and their event history.

Split from `bot.ports.repositories` because the item is the aggregate most capabilities grow:
repeats, search, privacy and replies each add their questions here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.customers.story import History
from bot.domain import (
    Comment,
    Event,
    EventKind,
    Feedback,
    Kind,
    Platform,
    Severity,
    State,
)
from bot.intake import FeedbackDraft
from bot.ports.records import (
    ListFilter,
)


class FeedbackRepository(Protocol):
    def insert(self, draft: FeedbackDraft, now: datetime) -> Feedback | None:
        """A new open item; None when its (source, external_id) exists already."""
        ...

    def insert_many(
        self,
        drafts: Sequence[FeedbackDraft],
        now: datetime,
        sensitive: Sequence[str | None] = (),
    ) -> int:
        """Open items in bulk, skipping (source, external_id) duplicates; how many were new.
        `sensitive`: for each draft, the sensitive route that restricts it (None: none)."""
        ...

    def known_external_ids(self, source: str, external_ids: Sequence[str]) -> set[str]: ...

    def has_source(self, source: str) -> bool:
        """Whether any item came from `source`."""
        ...

    def id_by_external(self, source: str, external_id: str) -> int | None: ...

    def lock(self, item_id: int) -> None:
        """Hold the item until commit, so changes to one item commit one after another."""
        ...

    def get(self, item_id: int, *, with_comments: bool = False) -> Feedback | None: ...

    def find(self, where: ListFilter) -> list[Feedback]: ...

    def count_by_state(self) -> dict[State, int]: ...

    def claim(self, item_id: int, person_id: int, platform: Platform, now: datetime) -> bool:
        """Open → claimed by this person."""
        ...

    def unclaim(self, item_id: int, holder_id: int, now: datetime) -> bool:
        """Claimed by `holder_id` → open."""
        ...

    def hand_off(
        self,
        item_id: int,
        state: State,
        holder_id: int | None,
        person_id: int,
        platform: Platform,
        now: datetime,
    ) -> bool:
        """Still in `state` and held by `holder_id` → claimed by this person."""
        ...

    def close(
        self,
        item_id: int,
        person_id: int,
        platform: Platform,
        resolution: str | None,
        notify_customer: bool,
        now: datetime,
    ) -> bool:
        """Open or claimed → closed by this person."""
        ...

    def reopen(self, item_id: int, now: datetime) -> bool:
        """Closed → open, with nobody on it and no resolution."""
        ...

    def edit(
        self,
        item_id: int,
        now: datetime,
        *,
        severity: Severity | None = None,
        tags: Sequence[str] | None = None,
    ) -> bool:
        """Change what is given; False when the item does not exist."""
        ...

    def revise(
        self,
        item_id: int,
        now: datetime,
        *,
        title: str | None,
        body: str,
        kind: Kind,
        severity: Severity,
        tags: Sequence[str],
    ) -> bool:
        """Rewrite what the customer said (an edited review) and what it makes of it; False
        when the item does not exist."""
        ...

    def mark_sensitive(self, item_id: int, rule: str) -> None:
        """Keep on the item the sensitive route that restricted it (as it arrives)."""
        ...

    def set_source_status(self, item_id: int, status: str, now: datetime) -> bool:
        """The status the item's source gives its conversation (e.g. Zendesk "solved")."""
        ...

    def set_csat(self, item_id: int, score: int, now: datetime) -> bool:
        """The customer's satisfaction score (1-5), replacing any earlier one."""
        ...

    def add_comment(
        self,
        item_id: int,
        author_id: int,
        platform: Platform,
        text: str,
        at: datetime,
        external_id: str | None,
    ) -> bool:
        """Store one comment; False when that chat message was stored already."""
        ...

    def edit_comment(
        self, platform: Platform, external_id: str, text: str | None, at: datetime
    ) -> int | None:
        """Follow an edit (new text) or a deletion (None) in chat; the item id, if known."""
        ...

    def comments(self, item_id: int) -> list[Comment]: ...

    def earlier_by_customer(self, item_ids: Sequence[int], shown: int) -> dict[int, History]:
        """Per item, what its customer sent before it (the same email in any case, from any
        source): how many items, and the newest `shown`. Items with none are left out."""
        ...

    def remember_idempotency_key(
        self, token_name: str, key: str, request_hash: str, item_id: int, now: datetime
    ) -> int:
        """Bind a key to an item; returns the item the key was bound to first."""
        ...

    def idempotency_key(self, token_name: str, key: str) -> tuple[int, str] | None:
        """(item id, request hash) a key was first used for, if it was."""
        ...


class EventRepository(Protocol):
    def add(
        self,
        item_id: int,
        kind: EventKind,
        actor_id: int | None,
        platform: Platform,
        at: datetime,
        data: dict[str, Any] | None = None,
    ) -> int: ...

    def add_ingested(
        self,
        source: str,
        external_ids: Sequence[str],
        actor_id: int,
        platform: Platform,
        at: datetime,
        data: dict[str, Any],
    ) -> None:
        """An `ingested` event for each of these items that has none yet."""
        ...

    def get(self, event_id: int) -> Event | None: ...

    def for_item(self, item_id: int) -> list[Event]: ...

    def items_closed_by(self, actor_id: int, since: datetime) -> int: ...

    def latest(self, item_ids: Sequence[int], kinds: Sequence[EventKind]) -> dict[int, Event]:
        """Each item's most recent event of these kinds."""
        ...

    def count(self, item_id: int, kind: EventKind) -> int: ...
