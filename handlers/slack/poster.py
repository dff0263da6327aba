"""The Slack side of the outbox (`bot.ports.chat.ChatPoster`): post, update and annotate cards.

Its client retries nothing by itself: every failure goes back to the outbox as a
`DeliveryError`, which keeps the message persisted and the channel's order, and waits as long
as Slack's `Retry-After` says (or backs off on server errors). A post whose response was lost
may still have landed, so every post carries its outbox key in the message metadata, and a
post that may have landed before is first looked for with `conversations.history`.

Slack lets an app post about one message per second into a channel (thread replies count) and
answers 429 beyond that, so posts are paced per channel up front: a backlog drains at the
limit instead of bouncing off it every other message.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from bot.customers.story import NO_STORY, CustomerStory
from bot.delivery.pacing import Pacer
from bot.domain import Event, Feedback, Platform
from bot.errors import DeliveryError
from bot.ports.chat import PostedCard
from bot.ports.clock import Clock
from bot.ports.records import CardCopy
from bot.ports.spikes import AlertCopy, SpikeNotice
from handlers.slack.blocks import (
    STATE_REACTION,
    Message,
    card,
    note,
    plain,
    spike_alert,
    urgent_mention,
    verbatim,
)
from handlers.slack.ids import message_key
from handlers.slack.people import SlackPeople
from handlers.slack.text import escape

log = logging.getLogger(__name__)

METADATA_EVENT = "allhands_card"
# Posts normally leave within a second of the change; one that is older may follow a crash
# that happened after Slack took the message and before its id was recorded.
CLOCK_SKEW = timedelta(minutes=5)
RECONCILE_PAGES = 5
MAX_BACKOFF_SECONDS = 300.0
# chat.postMessage: "1 message per second per channel" (short bursts tolerated); the pacer
# counts the second from Slack's answer, so posts arrive at least that far apart.
POST_INTERVAL_SECONDS = 1.0
GIVE_UP = {
    "account_inactive",
    "cant_update_message",
    "channel_not_found",
    "invalid_auth",
    "invalid_blocks",
    "is_archived",
    "message_not_found",
    "msg_too_long",
    "no_text",
    "not_authed",
    "not_in_channel",
    "restricted_action",
}
IGNORED_REACTION_ERRORS = {"already_reacted", "no_reaction", "message_not_found"}


class SlackPoster:
    platform = Platform.SLACK

    def __init__(
        self,
        client: AsyncWebClient,
        people: SlackPeople,
        clock: Clock,
        pacer: Pacer | None = None,
    ) -> None:
        self._client = client
        self._people = people
        self._clock = clock
        self._pacer = pacer or Pacer(1, POST_INTERVAL_SECONDS)
        self._maybe_posted: set[str] = set()  # keys whose post failed after it may have landed
        self._transient_failures = 0

    async def post_card(
        self,
        item: Feedback,
        channel: str,
        dedup_key: str,
        *,
        retry: bool = False,
        story: CustomerStory = NO_STORY,
    ) -> PostedCard:
        message = card(item, await self._people.mentions_for(item), story)
        ts, channel, fresh = await self._post_once(
            channel, dedup_key, message, item.created_at, retry=retry
        )
        await self._mirror_state(item, channel, ts, fresh=fresh)
        return PostedCard(message_key(channel, ts), {"channel": channel, "ts": ts})

    async def update_card(
        self, item: Feedback, copy: CardCopy, story: CustomerStory = NO_STORY
    ) -> None:
        channel, ts = _where(copy)
        message = card(item, await self._people.mentions_for(item), story)
        update = self._client.chat_update
        await self._call(update, channel=channel, ts=ts, text=message.text, blocks=message.blocks)
        await self._mirror_state(item, channel, ts)

    async def post_note(
        self, item: Feedback, copy: CardCopy, event: Event, *, retry: bool = False
    ) -> str | None:
        message = note(item, event, await self._people.mentions_for(item, event.actor))
        if message is None:
            return None
        channel, ts = _where(copy)
        key = f"allhands-note-{copy.id}-{event.id}"
        posted = await self._post_once(channel, key, message, event.at, thread_ts=ts, retry=retry)
        return posted[0]

    async def redact_note(self, copy: CardCopy, note_id: str, text: str) -> None:
        channel, _ = _where(copy)
        shown = escape(text)
        blocks = [SectionBlock(text=verbatim(shown))]
        await self._call(
            self._client.chat_update, channel=channel, ts=note_id, text=shown, blocks=blocks
        )

    async def post_mention(
        self, item: Feedback, copy: CardCopy, mention: str, *, retry: bool = False
    ) -> None:
        channel, ts = _where(copy)
        message = urgent_mention(item, mention)
        key = f"allhands-mention-{copy.id}"
        await self._post_once(channel, key, message, item.created_at, thread_ts=ts, retry=retry)

    async def post_summary(
        self, channel: str, dedup_key: str, text: str, written_at: datetime, *, retry: bool = False
    ) -> PostedCard:
        ts, channel, _ = await self._post_once(
            channel, dedup_key, plain(text), written_at, retry=retry
        )
        return PostedCard(message_key(channel, ts), {"channel": channel, "ts": ts})

    async def update_summary(self, channel: str, summary: PostedCard, text: str) -> None:
        message = plain(text)
        where = str(summary.extra.get("channel") or channel)
        update = self._client.chat_update
        ts = summary.extra["ts"]
        await self._call(update, channel=where, ts=ts, text=message.text, blocks=message.blocks)

    async def post_alert(
        self, copy: AlertCopy, notice: SpikeNotice, dedup_key: str, *, retry: bool = False
    ) -> PostedCard:
        """The `AlertPoster` port: a spike alert, posted once like a card."""
        message = spike_alert(notice)
        ts, channel, _ = await self._post_once(
            copy.channel, dedup_key, message, copy.created_at, retry=retry
        )
        return PostedCard(message_key(channel, ts), {"channel": channel, "ts": ts})

    async def update_alert(self, copy: AlertCopy, notice: SpikeNotice) -> None:
        message = spike_alert(notice)
        channel, ts = str(copy.extra["channel"]), str(copy.extra["ts"])
        update = self._client.chat_update
        await self._call(update, channel=channel, ts=ts, text=message.text, blocks=message.blocks)

    async def _post_once(
        self,
        channel: str,
        key: str,
        message: Message,
        written_at: datetime,
        *,
        thread_ts: str | None = None,
        retry: bool = False,
    ) -> tuple[str, str, bool]:
        """Post unless a message with this key is there already; returns (ts, channel, whether
        it was posted now)."""
        if retry or key in self._maybe_posted:
            found = await self._find(channel, key, written_at - CLOCK_SKEW, thread_ts)
            if found is not None:
                log.info("slack.reconciled key=%s channel=%s ts=%s", key, channel, found)
                self._maybe_posted.discard(key)
                return found, channel, False
        try:
            async with self._pacer.sending(channel):
                response = await self._call(
                    self._client.chat_postMessage,
                    channel=channel,
                    thread_ts=thread_ts,
                    text=message.text,
                    blocks=message.blocks,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
                    unfurl_links=False,
                    unfurl_media=False,
                )
        except Refused:
            raise
        except DeliveryError:
            self._maybe_posted.add(key)
            raise
        self._maybe_posted.discard(key)
        return str(response["ts"]), str(response.get("channel") or channel), True

    async def _find(
        self, channel: str, key: str, oldest: datetime, thread_ts: str | None
    ) -> str | None:
        async for message in self._messages(channel, oldest, thread_ts):
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == METADATA_EVENT and payload.get("key") == key:
                return str(message["ts"])
        return None

    async def _messages(
        self, channel: str, oldest: datetime, thread_ts: str | None
    ) -> AsyncIterator[dict[str, Any]]:
        cursor = None
        for _ in range(RECONCILE_PAGES):
            common = {"channel": channel, "include_all_metadata": True, "limit": 200}
            if thread_ts is None:
                page = await self._call(
                    self._client.conversations_history,
                    oldest=f"{oldest.timestamp():.6f}",
                    cursor=cursor,
                    **common,
                )
            else:
                page = await self._call(
                    self._client.conversations_replies, ts=thread_ts, cursor=cursor, **common
                )
            for message in page.get("messages") or []:
                yield message
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    async def _mirror_state(
        self, item: Feedback, channel: str, ts: str, *, fresh: bool = False
    ) -> None:
        """The bot's own reactions show the state at a glance: 👀 claimed, ✅ closed.

        A message posted just now has none to take off; asking anyway would spend the
        workspace-wide reactions limit twice per card while a backlog drains.
        """
        wanted = STATE_REACTION.get(item.state)
        for name in STATE_REACTION.values():
            if fresh and name != wanted:
                continue
            method = self._client.reactions_add if name == wanted else self._client.reactions_remove
            try:
                await self._call(method, channel=channel, timestamp=ts, name=name)
            except Refused as error:
                if error.code not in IGNORED_REACTION_ERRORS:
                    raise

    async def _call(self, method: Any, **arguments: Any) -> Any:
        """One Web API call; any failure becomes a `DeliveryError` the outbox understands."""
        try:
            response = await method(**arguments)
        except SlackApiError as error:
            raise self._delivery_error(error) from error
        except (TimeoutError, aiohttp.ClientError) as error:
            raise self._transient(f"connection: {type(error).__name__}") from error
        self._transient_failures = 0
        return response

    def _delivery_error(self, error: SlackApiError) -> DeliveryError:
        code = str(error.response.get("error") or "unknown")
        status = error.response.status_code
        if status == 429:
            retry_after = error.response.headers.get("Retry-After")
            return Refused(code, float(retry_after) if retry_after else 1.0, rate_limited=True)
        if status < 500 and code not in {"internal_error", "fatal_error", "request_timeout"}:
            return Refused(code, None if code in GIVE_UP else 60.0)
        return self._transient(code)

    def _transient(self, reason: str) -> DeliveryError:
        """Slack or the network failed midway: back off, doubling while it keeps failing."""
        self._transient_failures += 1
        delay = min(MAX_BACKOFF_SECONDS, 2.0**self._transient_failures)
        return DeliveryError(reason, retry_after=delay)


class Refused(DeliveryError):
    """Slack answered and did nothing (rate limit, unknown channel…): a post did not land."""

    def __init__(self, code: str, retry_after: float | None, *, rate_limited: bool = False) -> None:
        super().__init__(f"Slack refused: {code}", retry_after, rate_limited=rate_limited)
        self.code = code


def _where(copy: CardCopy) -> tuple[str, str]:
    return str(copy.extra.get("channel") or copy.channel), str(copy.extra["ts"])
