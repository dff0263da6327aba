"""Public responses to app store reviews, with the key the source was added with: App Store
Connect's `customerReviewResponses`, Google Play's `reviews:reply`.

A review has one developer response, and both stores replace it when answered again; still, an
attempt that follows one whose outcome is unknown (`retry`) first reads the review's response
and sends only when it does not say the reply's words already.
"""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.errors import DeliveryError
from bot.ports.clock import Clock
from bot.ports.replies import VendorReply
from bot.ports.sources import PollFailed
from bot.sources.registry import SourceConfig
from handlers.sources.base import dig
from handlers.vendors import appstore, googleplay
from handlers.vendors.http import api_base, call
from handlers.vendors.posting import post_once, same_words, unreadable


def apple_said(answer: Any) -> str:
    """`{"errors": [{"status", "code", "title", "detail"}]}`, in words."""
    errors = answer.get("errors") if isinstance(answer, dict) else None
    return "; ".join(
        str(error.get("detail") or error.get("title") or error.get("code"))
        for error in (errors if isinstance(errors, list) else ())
        if isinstance(error, dict)
    )


def google_said(answer: Any) -> str:
    """`{"error": {"code", "message", "status"}}`, in words."""
    return str(dig(answer, "error.message") or "") if isinstance(answer, dict) else ""


class AppStoreReplies:
    """`POST /v1/customerReviewResponses`; `GET /v1/customerReviews/{id}/response` to look."""

    vendor = appstore.VENDOR

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def send(
        self, client: aiohttp.ClientSession, source: SourceConfig, reply: VendorReply, retry: bool
    ) -> None:
        base = api_base(source, appstore.API)
        try:
            headers = {"Authorization": f"Bearer {appstore.token(source, self._clock.now())}"}
        except PollFailed as error:
            raise DeliveryError(str(error), None) from None
        response = {
            "data": {
                "type": "customerReviewResponses",
                "attributes": {"responseBody": reply.text},
                "relationships": {
                    "review": {"data": {"type": "customerReviews", "id": reply.target}}
                },
            }
        }
        there = partial(self._there, client, base, headers, reply)
        request = ("POST", f"{base}/v1/customerReviewResponses", headers, response)
        await post_once(client, self.vendor, there if retry else None, request, apple_said)

    async def _there(
        self, client: aiohttp.ClientSession, base: str, headers: dict[str, str], reply: VendorReply
    ) -> bool:
        url = f"{base}/v1/customerReviews/{quote(reply.target, safe='')}/response"
        status, answer = await call(client, self.vendor, "GET", url, headers=headers)
        if status == 404:
            return False  # no response yet
        if status != 200:
            raise unreadable(self.vendor, status)
        return same_words(str(dig(answer, "data.attributes.responseBody") or ""), reply.text)


class GooglePlayReplies:
    """`POST …/reviews/{id}:reply`; `GET …/reviews/{id}` to look for the developer's comment."""

    vendor = googleplay.VENDOR

    def __init__(self, clock: Clock) -> None:
        self._access = googleplay.GoogleAccess(clock)

    async def send(
        self, client: aiohttp.ClientSession, source: SourceConfig, reply: VendorReply, retry: bool
    ) -> None:
        try:
            account = googleplay.service_account(source.credentials)
        except ValueError as error:
            raise DeliveryError(
                f"{self.vendor}: the --service-account key: {error}", None
            ) from None
        package = quote(str(source.options.get("package") or ""), safe="")
        review = (
            f"{api_base(source, googleplay.API)}/androidpublisher/v3/applications/{package}"
            f"/reviews/{quote(reply.target, safe='')}"
        )
        headers = {"Authorization": f"Bearer {await self._access.token(client, account)}"}
        there = partial(self._there, client, review, headers, reply.text)
        request = ("POST", f"{review}:reply", headers, {"replyText": reply.text})
        try:
            await post_once(client, self.vendor, there if retry else None, request, google_said)
        except DeliveryError:
            self._access.forget(account)  # the next attempt asks for a new token
            raise

    async def _there(
        self, client: aiohttp.ClientSession, review: str, headers: dict[str, str], text: str
    ) -> bool:
        status, answer = await call(client, self.vendor, "GET", review, headers=headers)
        if status != 200 or not isinstance(answer, dict):
            raise unreadable(self.vendor, status)
        comments = answer.get("comments")
        return any(
            same_words(str(dig(comment, "developerComment.text") or ""), text)
            for comment in (comments if isinstance(comments, list) else ())
            if isinstance(comment, dict)
        )
