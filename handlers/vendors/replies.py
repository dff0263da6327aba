"""The `ReplyChannel` the outbox sends every reply through: an email over SMTP, or a post
through the API of the source the item came from (`helpdesks.py`, `store_replies.py`)."""

from __future__ import annotations

import aiohttp

from bot.errors import DeliveryError
from bot.ports.clock import SystemClock
from bot.ports.replies import Outgoing, OutgoingEmail
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceRegistry
from handlers.vendors.helpdesks import FreshdeskReplies, IntercomReplies, ZendeskReplies
from handlers.vendors.http import session
from handlers.vendors.posting import VendorClient
from handlers.vendors.smtp import SmtpReplyChannel
from handlers.vendors.store_replies import AppStoreReplies, GooglePlayReplies

TIMEOUT_SECONDS = 30.0


def vendor_clients() -> dict[SourceKind, VendorClient]:
    """The stores' signed tokens carry the time as it is: the vendor checks them by its clock."""
    clock = SystemClock()
    return {
        SourceKind.ZENDESK: ZendeskReplies(),
        SourceKind.INTERCOM: IntercomReplies(),
        SourceKind.FRESHDESK: FreshdeskReplies(),
        SourceKind.APPSTORE: AppStoreReplies(clock),
        SourceKind.GOOGLEPLAY: GooglePlayReplies(clock),
    }


class ReplyRouter:
    def __init__(
        self,
        sources: SourceRegistry,
        smtp: SmtpReplyChannel | None,
        *,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        """`smtp` is None when no mail server is set (`ALLHANDS_SMTP_URL`); `timeout` bounds
        each call to a vendor."""
        self._sources = sources
        self._smtp = smtp
        self._vendors = vendor_clients()
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, reply: Outgoing, *, retry: bool) -> None:
        if isinstance(reply, OutgoingEmail):
            if self._smtp is None:
                raise DeliveryError("No mail server is set (ALLHANDS_SMTP_URL)", None)
            await self._smtp.send(reply)
            return
        source = await self._sources.find(reply.source)
        client = self._vendors.get(source.kind) if source else None
        if source is None or client is None:
            raise DeliveryError(f"The source {reply.source} is gone or takes no replies", None)
        async with session(self._timeout) as http:
            await client.send(http, source, reply, retry)
