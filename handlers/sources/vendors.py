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
from handlers.sources import (
    appstore,
    freshdesk,
    generic,
    googleplay,
    imap,
    intercom,
    mailgun,
    postmark,
    sendgrid,
    typeform,
    zendesk,
)
from handlers.sources.base import Reader, Received, Vendor

# The kinds whose raw deliveries we verify and name: those that post to us (`POST /sources/NAME`),
# and the mailboxes we poll, whose messages are kept the same way (an IMAP source takes no posts).
VENDORS: dict[SourceKind, Vendor] = {
    SourceKind.ZENDESK: zendesk,
    SourceKind.INTERCOM: intercom,
    SourceKind.FRESHDESK: freshdesk,
    SourceKind.TYPEFORM: typeform,
    SourceKind.JSON: generic,
    SourceKind.POSTMARK: postmark,
    SourceKind.MAILGUN: mailgun,
    SourceKind.SENDGRID: sendgrid,
    SourceKind.IMAP: imap,
}
# Every kind whose kept deliveries are read here: those that post, and those we poll.
READERS: dict[SourceKind, Reader] = {
    **VENDORS,
    SourceKind.APPSTORE: appstore,
    SourceKind.GOOGLEPLAY: googleplay,
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


def reader_for(source: SourceConfig) -> Reader:
    reader = READERS.get(source.kind)
    if reader is None:
        raise Unusable(f"deliveries from {source.kind} sources are not read here")
    return reader


def sample_for(source: SourceConfig) -> bytes:
    """A delivery in the vendor's documented shape; a JSON source's follows its field map."""
    if source.kind is SourceKind.JSON:
        return generic.sample_for(source)
    return vendor_for(source).sample


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
