"""Which module reads which kind of source, and the worker's step that reads and applies a
kept delivery with it."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from bot.ports.records import RawDelivery
from bot.sources.events import SourceEvent, Unusable
from bot.sources.intake import SourceIntake
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import imap, zendesk
from handlers.sources.base import Received, Vendor

VENDORS: dict[SourceKind, Vendor] = {
    SourceKind.ZENDESK: zendesk,
    SourceKind.IMAP: imap,
}


def vendor_for(source: SourceConfig) -> Vendor:
    vendor = VENDORS.get(source.kind)
    if vendor is None:
        raise Unusable(f"deliveries from {source.kind} sources are not read here")
    return vendor


class VendorParser:
    """`bot.ports.sources.SourceParser`: a kept delivery, read by its source's vendor module."""

    def parse(self, source: SourceConfig, delivery: RawDelivery) -> list[SourceEvent]:
        return vendor_for(source).parse(Received.kept(delivery), source)


class SourceWork:
    """The inbox worker's handler for kept source deliveries: parse, then apply.

    The worker hands over a batch at once; one source's deliveries are applied one at a time,
    in the order they were kept, because there order matters: an email reply applied before the
    message it answers would start an item of its own.
    """

    def __init__(self, intake: SourceIntake) -> None:
        self._intake = intake
        self._parser = VendorParser()
        self._in_turn: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle(self, payload: dict[str, Any]) -> None:
        async with self._in_turn[str(payload.get("source", ""))]:
            await asyncio.to_thread(self._intake.apply, int(payload["delivery"]), self._parser)
