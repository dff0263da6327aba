"""Posts and updates cards in Teams channels through the Bot Connector (the `ChatPoster` port).

Posting into a channel uses the conversation reference stored at install time; the root
post's id becomes the card's message id, and notes go into its thread
(`<channel>;messageid=<id>`). Failures become `DeliveryError`s the outbox understands:
429/412/502/504 and network errors are retried after `Retry-After` (or a growing backoff);
403 (e.g. MessageWritesBlocked) and 404 are not, and are logged once per conversation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import aiohttp
from botbuilder.schema import Activity, ActivityTypes, Attachment, ChannelAccount, Mention
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
)
from msrest.exceptions import HttpOperationError

from bot.customers.story import NO_STORY, CustomerStory
from bot.delivery.pacing import Pacer
from bot.domain import Event, EventKind, Feedback, Platform
from bot.errors import DeliveryError
from bot.notes import urgent_call
from bot.ports.chat import PostedCard
from bot.ports.records import CardCopy
from bot.ports.spikes import AlertCopy, SpikeNotice
from handlers.teams.cards import (
    CONTENT_TYPE,
    feedback_card,
    message_safe,
    note_text,
    retry_card,
    spike_card,
)
from handlers.teams.references import THREAD_MARKER, TeamsDirectory, channel_of

log = logging.getLogger(__name__)

RETRYABLE = {412, 429, 502, 503, 504}
NOT_INSTALLED_RETRY_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 120.0
# Teams allows 7 messages per second per conversation; keep a margin.
MESSAGES_PER_SECOND = 6
# The name shown for a tag mention; routes store only the tag's id.
TAG_LABEL = "Tag"


class TeamsPoster:
    platform = Platform.TEAMS

    def __init__(
        self,
        auth: BotFrameworkAuthentication,
        directory: TeamsDirectory,
        app_id: str,
        pacer: Pacer | None = None,
    ) -> None:
        self._auth = auth
        self._directory = directory
        self._app_id = app_id
        self._pacer = pacer or Pacer(MESSAGES_PER_SECOND)
        self._clients: dict[str, ConnectorClient] = {}
        self._failures: dict[str, int] = {}
        self._refused: set[str] = set()

    async def post_card(
        self,
        item: Feedback,
        channel: str,
        dedup_key: str,
        *,
        retry: bool = False,
        story: CustomerStory = NO_STORY,
    ) -> PostedCard:
        return await self._send_new(channel, await self._card_activity(item, story))

    async def update_card(
        self, item: Feedback, copy: CardCopy, story: CustomerStory = NO_STORY
    ) -> None:
        assert copy.message_id is not None
        activity = await self._card_activity(item, story)
        await self._replace(copy.channel, copy.message_id, copy.extra, activity)

    async def post_alert(
        self, copy: AlertCopy, notice: SpikeNotice, dedup_key: str, *, retry: bool = False
    ) -> PostedCard:
        """The `AlertPoster` port: a spike alert as a card of its own in the channel."""
        return await self._send_new(copy.channel, card_message(spike_card(notice)))

    async def update_alert(self, copy: AlertCopy, notice: SpikeNotice) -> None:
        assert copy.message_id is not None
        activity = card_message(spike_card(notice))
        await self._replace(copy.channel, copy.message_id, copy.extra, activity)

    async def _send_new(self, channel: str, activity: Activity) -> PostedCard:
        """A new message in `channel`; its id and service URL, to update it later."""
        reference = await self._reference(channel)
        service_url = str(reference["serviceUrl"])
        sent = await self._call(
            service_url,
            channel,
            lambda c: c.conversations.send_to_conversation(channel, activity),
        )
        return PostedCard(str(sent.id), {"service_url": service_url})

    async def _replace(
        self, channel: str, message_id: str, extra: dict[str, Any], activity: Activity
    ) -> None:
        activity.id = message_id
        await self._call(
            extra["service_url"],
            channel,
            lambda c: c.conversations.update_activity(channel, message_id, activity),
        )

    async def post_note(
        self, item: Feedback, copy: CardCopy, event: Event, *, retry: bool = False
    ) -> str | None:
        text = note_text(item, event)
        activity = Activity(type=ActivityTypes.message, text=text)
        if event.kind is EventKind.REPLY_FAILED:
            card = Attachment(content_type=CONTENT_TYPE, content=retry_card(item, text))
            activity = Activity(type=ActivityTypes.message, attachments=[card])
        return await self._reply(copy, activity)

    async def redact_note(self, copy: CardCopy, note_id: str, text: str) -> None:
        thread = f"{copy.channel}{THREAD_MARKER}{copy.message_id}"
        activity = Activity(type=ActivityTypes.message, id=note_id, text=message_safe(text))
        await self._call(
            copy.extra["service_url"],
            copy.channel,
            lambda c: c.conversations.update_activity(thread, note_id, activity),
        )

    async def post_mention(
        self, item: Feedback, copy: CardCopy, mention: str, *, retry: bool = False
    ) -> None:
        await self._reply(copy, tag_mention(item, mention))

    async def post_summary(
        self, channel: str, dedup_key: str, text: str, written_at: datetime, *, retry: bool = False
    ) -> PostedCard:
        reference = await self._reference(channel)
        service_url = str(reference["serviceUrl"])
        activity = Activity(type=ActivityTypes.message, text=message_safe(text))
        sent = await self._call(
            service_url,
            channel,
            lambda c: c.conversations.send_to_conversation(channel, activity),
        )
        return PostedCard(str(sent.id), {"service_url": service_url})

    async def update_summary(self, channel: str, summary: PostedCard, text: str) -> None:
        activity = Activity(type=ActivityTypes.message, text=message_safe(text))
        activity.id = summary.message_id
        await self._call(
            str(summary.extra["service_url"]),
            channel,
            lambda c: c.conversations.update_activity(channel, summary.message_id, activity),
        )

    async def _reply(self, copy: CardCopy, activity: Activity) -> str:
        """Send `activity` into the card's thread; its id."""
        thread = f"{copy.channel}{THREAD_MARKER}{copy.message_id}"
        sent = await self._call(
            copy.extra["service_url"],
            copy.channel,
            lambda c: c.conversations.send_to_conversation(thread, activity),
        )
        return str(sent.id)

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.__aexit__(None, None, None)

    async def _reference(self, channel: str) -> dict[str, Any]:
        """The stored conversation reference to reach `channel`; waits while none exists."""
        reference = await asyncio.to_thread(self._directory.conversation_for, channel)
        if reference is None:
            raise DeliveryError(
                "All Hands is not installed in any team yet; add the app to the team",
                retry_after=NOT_INSTALLED_RETRY_SECONDS,
            )
        return reference

    async def _card_activity(self, item: Feedback, story: CustomerStory) -> Activity:
        card = await asyncio.to_thread(channel_card, item, self._directory, story)
        return card_message(card)

    async def _call(
        self,
        service_url: str,
        conversation: str,
        send: Callable[[ConnectorClient], Awaitable[Any]],
    ) -> Any:
        channel = channel_of(conversation)
        await self._pacer.wait(channel)
        try:
            result = await send(await self._client(service_url))
        except HttpOperationError as error:
            raise self._delivery_error(channel, error) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"Teams unreachable: {error!r}", self._backoff(channel)) from error
        self._failures.pop(channel, None)
        self._refused.discard(channel)
        return result

    async def _client(self, service_url: str) -> ConnectorClient:
        client = self._clients.get(service_url)
        if client is None:
            claims = ClaimsIdentity(
                {
                    AuthenticationConstants.AUDIENCE_CLAIM: self._app_id,
                    AuthenticationConstants.APP_ID_CLAIM: self._app_id,
                },
                True,
            )
            factory = self._auth.create_connector_factory(claims)
            client = await factory.create(service_url, self._auth.get_originating_audience())
            self._clients[service_url] = client
        return client

    def _delivery_error(self, channel: str, error: HttpOperationError) -> DeliveryError:
        response = error.response
        status = int(getattr(response, "status_code", 0) or getattr(response, "status", 0))
        code = _error_code(error)
        message = f"Teams answered {status} {code}".strip()
        if status in RETRYABLE:
            retry_after = _retry_after(response.headers) or self._backoff(channel)
            return DeliveryError(message, retry_after, rate_limited=status == 429)
        if channel not in self._refused:
            self._refused.add(channel)
            log.warning("teams.refused conversation=%s status=%s code=%s", channel, status, code)
        return DeliveryError(message, None)

    def _backoff(self, channel: str) -> float:
        failures = self._failures.get(channel, 0) + 1
        self._failures[channel] = failures
        return float(min(MAX_BACKOFF_SECONDS, 2**failures))


def channel_card(
    item: Feedback, directory: TeamsDirectory, story: CustomerStory = NO_STORY
) -> dict[str, Any]:
    """The card every channel copy of `item` shows: everybody's view, which its claimer's
    client swaps for their own (with Unclaim) by refreshing."""
    return feedback_card(item, None, directory.refresh_ids(item), story)


def card_message(card: dict[str, Any]) -> Activity:
    """A message carrying one Adaptive Card; its fallback text is the notification preview."""
    return Activity(
        type=ActivityTypes.message,
        summary=card.get("fallbackText"),
        attachments=[Attachment(content_type=CONTENT_TYPE, content=card)],
    )


class _TaggedAccount(ChannelAccount):  # type: ignore[misc]
    """A mentioned account with Teams' `type` field, which botbuilder's model lacks.

    The connector client serialises with the models' attribute maps and silently drops what
    they do not name (a plain dict entity loses everything but its `type`), so the field is
    added to the map.
    """

    _attribute_map = {**ChannelAccount._attribute_map, "type": {"key": "type", "type": "str"}}

    def __init__(self, *, type: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.type = type


def tag_mention(item: Feedback, tag_id: str) -> Activity:
    """A message that mentions a team tag (everyone in it is notified) for an urgent item."""
    at = f"<at>{TAG_LABEL}</at>"
    tag = _TaggedAccount(id=tag_id, name=TAG_LABEL, type="tag")
    return Activity(
        type=ActivityTypes.message,
        text=f"{at} {urgent_call(item)}",
        entities=[Mention(mentioned=tag, text=at, type="mention")],
    )


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _error_code(error: HttpOperationError) -> str:
    body = getattr(error, "error", None)
    inner = getattr(body, "error", None)
    return str(getattr(inner, "code", "") or "")
