"""Which module reads which kind of source, and the worker's step that reads and applies a
kept delivery with it."""

from __future__ import annotations

import functools
from typing import Any

from bot.delivery.group_commit import GroupCommit
from bot.ports.records import RawDelivery
from bot.sources.events import SourceEvent, Unusable
from bot.sources.intake import Applied, SourceIntake
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import appstore, googleplay, mailgun, postmark, sendgrid, zendesk
from handlers.sources.base import Reader, Received, Vendor

# The kinds that post to us (`POST /sources/NAME`).
VENDORS: dict[SourceKind, Vendor] = {
    SourceKind.ZENDESK: zendesk,
    SourceKind.POSTMARK: postmark,
    SourceKind.MAILGUN: mailgun,
    SourceKind.SENDGRID: sendgrid,
}
# Every kind whose kept deliveries are read here: those that post, and those we poll.
READERS: dict[SourceKind, Reader] = {
    **VENDORS,
    SourceKind.APPSTORE: appstore,
    SourceKind.GOOGLEPLAY: googleplay,
}


def vendor_for(source: SourceConfig) -> Vendor:
    vendor = VENDORS.get(source.kind)
    if vendor is None:
        raise Unusable(f"deliveries from {source.kind} sources are not read here")
    return vendor


def reader_for(source: SourceConfig) -> Reader:
    reader = READERS.get(source.kind)
    if reader is None:
        raise Unusable(f"deliveries from {source.kind} sources are not read here")
    return reader


class VendorParser:
    """`bot.ports.sources.SourceParser`: a kept delivery, read by its source's vendor module."""

    def parse(self, source: SourceConfig, delivery: RawDelivery) -> list[SourceEvent]:
        return reader_for(source).parse(Received.kept(delivery), source)


class SourceWork:
    """The inbox worker's handler for kept source deliveries: parse, then apply.

    The worker hands over a batch of deliveries at once; they are applied together (one
    transaction for their new items, one for their outcomes) rather than each in its own.
    """

    def __init__(self, intake: SourceIntake) -> None:
        parser = VendorParser()
        self._applying: GroupCommit[int, Applied] = GroupCommit(
            functools.partial(intake.apply_each, parser=parser)
        )

    async def handle(self, payload: dict[str, Any]) -> None:
        await self._applying.submit(int(payload["delivery"]))
