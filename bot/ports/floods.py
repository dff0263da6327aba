"""What the flood gate (`bot.delivery.floods`) asks of storage: one counter per source,
channel and hour, counted by one guarded statement so every replica counts on the same one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.domain import Platform


@dataclass(frozen=True, slots=True)
class FloodKey:
    """New cards from one source into one channel within one clock hour."""

    source: str
    platform: Platform
    channel: str
    hour: datetime


@dataclass(frozen=True, slots=True)
class Flood:
    """Where a flood stands: cards shown, cards held back, and its summary once posted."""

    key: FloodKey
    shown: int
    held: int
    message_id: str | None = None
    extra: dict[str, Any] | None = None


class FloodRepository(Protocol):
    def count_card(self, key: FloodKey, threshold: int) -> Flood:
        """Count one new card: shown while fewer than `threshold` were, else held back.
        Atomic, so concurrent writers never show more than `threshold` between them."""
        ...

    def queue_summary(self, key: FloodKey) -> bool:
        """Mark the flood's summary as queued; False when an unsent one is queued already."""
        ...

    def take_summary(self, key: FloodKey) -> Flood | None:
        """The flood as its summary should now say, clearing the queued mark first: a card held
        after this queues the next update."""
        ...

    def summary_posted(self, key: FloodKey, message_id: str, extra: dict[str, Any]) -> None: ...

    def forget_before(self, hour: datetime) -> None:
        """Drop the counters of hours before `hour`: nothing counts them any more."""
        ...
