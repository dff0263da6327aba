"""What the core needs to read a source's deliveries: its vendor's parser (`handlers/sources/`)."""

from __future__ import annotations

from typing import Protocol

from bot.ports.records import RawDelivery
from bot.sources.events import SourceEvent
from bot.sources.registry import SourceConfig


class SourceParser(Protocol):
    def parse(self, source: SourceConfig, delivery: RawDelivery) -> list[SourceEvent]:
        """What the delivery says; raises `bot.sources.events.Unusable` naming what is
        missing when it cannot be read."""
        ...
