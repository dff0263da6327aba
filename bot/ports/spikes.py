"""What spike alerts need from the store and from each chat platform.

A spike is one row per (dimension, key, local day): inserting it is the race-free decision to
alert, so two replicas seeing the same spike post one message between them. Each channel's
copy of the alert remembers its platform message id, so later growth updates it in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from bot.domain import Platform
from bot.ports.chat import PostedCard


@dataclass(frozen=True, slots=True)
class Arrival:
    """One item as spike counting sees it: when it came, from where, with which tags."""

    id: int
    received_at: datetime
    source: str
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SpikeAlert:
    """A spike on one day: how many items so far, what was usual, the newest item's id."""

    id: int
    dimension: str
    key: str
    day: date
    count: int
    usual: float
    threshold: int
    newest_id: int | None


@dataclass(frozen=True, slots=True)
class AlertCopy:
    """Where one copy of an alert lives; `message_id` is None until it is posted."""

    id: int
    alert_id: int
    platform: Platform
    channel: str
    message_id: str | None
    extra: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SpikeNotice:
    """What an alert says, platform-neutral and already masked: a headline and its details."""

    headline: str
    lines: tuple[str, ...]


class SpikeRepository(Protocol):
    def arrivals(self, since: datetime, until: datetime) -> list[Arrival]:
        """Items received in [since, until)."""
        ...

    def open_alert(self, alert: SpikeAlert, now: datetime) -> int | None:
        """Insert the day's alert for its (dimension, key); its id, or None when another
        process opened it first."""
        ...

    def grow(self, alert_id: int, count: int, newest_id: int | None, now: datetime) -> bool:
        """Raise the alert's count; False when it already shows `count` or more."""
        ...

    def alerts_on(self, day: date) -> list[SpikeAlert]: ...

    def alert(self, alert_id: int) -> SpikeAlert | None: ...

    def add_copy(self, alert_id: int, platform: Platform, channel: str, now: datetime) -> int: ...

    def copies(self, alert_id: int) -> list[AlertCopy]: ...

    def copy(self, copy_id: int) -> AlertCopy | None: ...

    def mark_posted(self, copy_id: int, message_id: str, extra: dict[str, Any]) -> None: ...


@runtime_checkable
class AlertPoster(Protocol):
    """A chat platform's way to show a spike alert in a channel and keep it current.

    `retry` says an earlier attempt (after the copy was created) may have posted it already
    (see `ChatPoster`).
    """

    platform: Platform

    async def post_alert(
        self, copy: AlertCopy, notice: SpikeNotice, dedup_key: str, *, retry: bool = False
    ) -> PostedCard: ...

    async def update_alert(self, copy: AlertCopy, notice: SpikeNotice) -> None: ...
