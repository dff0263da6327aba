"""Which module reads which kind of source, and the worker's step that reads and applies a
kept delivery with it."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.ports.records import RawDelivery
from bot.sources.events import SourceEvent, Unusable
from bot.sources.intake import SourceIntake
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig
from handlers.sources import freshdesk, generic, intercom, typeform, zendesk
from handlers.sources.base import Received, Vendor

VENDORS: dict[SourceKind, Vendor] = {
    SourceKind.ZENDESK: zendesk,
    SourceKind.INTERCOM: intercom,
    SourceKind.FRESHDESK: freshdesk,
    SourceKind.TYPEFORM: typeform,
    SourceKind.JSON: generic,
}
# How each vendor proves a delivery is theirs: what `sources add` tells whoever sets it up.
SIGNING = {
    SourceKind.INTERCOM: "Intercom signs each delivery with the app's client secret "
    "(X-Hub-Signature: sha1=...).",
    SourceKind.FRESHDESK: "In the rule's Trigger Webhook action, add the custom header "
    "Authorization: Bearer SECRET (this source's secret).",
    SourceKind.TYPEFORM: "Paste the secret into the webhook's Secret field; Typeform signs "
    "each delivery with it (Typeform-Signature: sha256=...).",
    SourceKind.JSON: "Sign each delivery with X-AllHands-Signature: sha256=HEX, HEX being "
    "the hex HMAC-SHA256 of the raw body with the secret.",
}


def vendor_for(source: SourceConfig) -> Vendor:
    vendor = VENDORS.get(source.kind)
    if vendor is None:
        raise Unusable(f"deliveries from {source.kind} sources are not read here")
    return vendor


def sample_for(source: SourceConfig) -> bytes:
    """A delivery in the vendor's documented shape; a JSON source's follows its field map."""
    if source.kind is SourceKind.JSON:
        return generic.sample_for(source)
    return vendor_for(source).sample


class VendorParser:
    """`bot.ports.sources.SourceParser`: a kept delivery, read by its source's vendor module."""

    def parse(self, source: SourceConfig, delivery: RawDelivery) -> list[SourceEvent]:
        return vendor_for(source).parse(Received.kept(delivery), source)


class SourceWork:
    """The inbox worker's handler for kept source deliveries: parse, then apply."""

    def __init__(self, intake: SourceIntake) -> None:
        self._intake = intake
        self._parser = VendorParser()

    async def handle(self, payload: dict[str, Any]) -> None:
        await asyncio.to_thread(self._intake.apply, int(payload["delivery"]), self._parser)
