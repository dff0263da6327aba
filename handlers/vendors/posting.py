"""What every client that posts a reply through a vendor's API shares: the post-once rule
(look at the vendor first after an attempt whose outcome is unknown), and the vendor's answer
read as the outbox understands it (`DeliveryError`: later, or refused for good)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp

from bot.errors import DeliveryError
from bot.ports.replies import VendorReply
from bot.sources.registry import SourceConfig
from handlers.sources.base import html_to_text
from handlers.vendors.http import call

LATER_SECONDS = 60.0  # after a 429 or a 5xx: the vendor asked us to come back


class VendorClient(Protocol):
    async def send(
        self, client: aiohttp.ClientSession, source: SourceConfig, reply: VendorReply, retry: bool
    ) -> None: ...


def answered(vendor: str, status: int, answer: Any, said: str) -> None:
    """Nothing for a 2xx; otherwise `DeliveryError` with the vendor's words: "later" for a 429
    or a 5xx, for good for any other refusal (a 422 stays refused until someone retries)."""
    if 200 <= status < 300:
        return
    reason = f"{vendor} answered {status}" + (f": {said}" if said else "")
    if status == 429 or status >= 500:
        raise DeliveryError(reason, LATER_SECONDS, rate_limited=status == 429)
    raise DeliveryError(reason, None)


async def post_once(
    client: aiohttp.ClientSession,
    vendor: str,
    there: Callable[[], Awaitable[bool]] | None,
    request: tuple[str, str, dict[str, str], Any],
    said: Callable[[Any], str],
) -> None:
    """The rule every vendor reply follows: after an attempt whose outcome is unknown (`there`
    given: it asks the vendor), send only when the vendor does not have the reply already.
    `request` is the method, URL, headers and JSON body that post it."""
    if there is not None and await there():
        return
    method, url, headers, body = request
    status, answer = await call(client, vendor, method, url, headers=headers, body=body)
    answered(vendor, status, answer, said(answer))


def unreadable(vendor: str, status: int) -> DeliveryError:
    """The vendor would not show what it has: nothing is sent until it does."""
    return DeliveryError(
        f"{vendor} answered {status} when asked for the earlier replies", LATER_SECONDS
    )


def same_words(html_or_text: str, text: str) -> bool:
    return html_to_text(html_or_text).split() == text.split()
