"""What the core needs to read a source: its vendor's parser (`handlers/sources/`) and, for the
sources we poll (app stores), its vendor's API client (`handlers/vendors/`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.ports.records import RawDelivery
from bot.sources.events import SourceEvent
from bot.sources.registry import SourceConfig


class SourceParser(Protocol):
    def parse(self, source: SourceConfig, delivery: RawDelivery) -> list[SourceEvent]:
        """What the delivery says; raises `bot.sources.events.Unusable` naming what is
        missing when it cannot be read."""
        ...


@dataclass(frozen=True, slots=True)
class Polled:
    """One thing a polled source holds (a review), as its vendor gave it: kept raw like a
    webhook's delivery. `event_id` names this version of it, so fetching it again unchanged
    stores nothing, and an edit is a new delivery."""

    event_id: str
    body: bytes
    changed_at: datetime


class PollFailed(Exception):
    """The vendor refused or failed a poll; `reason` says why in words an operator can act on
    (never a credential)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SourcePoller(Protocol):
    async def fetch(self, source: SourceConfig, since: datetime) -> list[Polled]:
        """Everything the source wrote or changed at or after `since` (at least), in any
        order; raises `PollFailed`."""
        ...
