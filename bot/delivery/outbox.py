"""Sends what the outbox holds to the chat platforms: persist first, send after, retry on 429.

Per channel, messages go out in the order they were written; a rate-limited channel waits
for its `Retry-After` without holding up the others. A lease on each taken message lets a
crashed replica's work be picked up by another after the lease runs out.

The running worker sends each channel as a task of its own and does not wait for it before
taking the other channels' messages, so a channel that is slow to send (a poster pacing it
to the platform's rate, a backlog) holds up only itself. A channel's run stops well before its
lease runs out, and at `stop()`, and gives back what it did not try.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import groupby

from bot.admin.webhooks import WebhookDirectory
from bot.customers.stories import CustomerStories
from bot.customers.story import NO_STORY, CustomerStory
from bot.delivery.floods import summary_key, summary_text
from bot.delivery.wakeup import Wakeup
from bot.domain import Event, Feedback, Platform, State
from bot.errors import DeliveryError
from bot.metrics import count_rate_limited
from bot.ports.changes import Change
from bot.ports.chat import ChatPoster, DirectMessenger, PostedCard, WebhookSender
from bot.ports.clock import Clock, SystemClock
from bot.ports.floods import Flood, FloodKey
from bot.ports.records import CardCopy, OutboxAction, OutboxMessage
from bot.ports.replies import ReplyChannel
from bot.ports.store import Store
from bot.privacy.masking import Masker
from bot.privacy.sensitive import shows_words, stub_item
from bot.privacy.shown import Privacy, masked_event, masked_item, masked_story
from bot.replies import Replies
from bot.signal.alerts import ALERT_ACTIONS, SpikeAlerts

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
CARD_ACTIONS = frozenset({OutboxAction.POST_CARD, OutboxAction.UPDATE_CARD})
MAX_BACKOFF_SECONDS = 300.0
ROUND_GAP_SECONDS = 0.02


def _backoff(attempts: int) -> float:
    """2 s, 4 s, 8 s … up to five minutes between attempts."""
    return min(MAX_BACKOFF_SECONDS, 2.0**attempts)


@dataclass(frozen=True, slots=True)
class _Work:
    message: OutboxMessage
    item: Feedback | None
    copy: CardCopy | None
    event: Event | None
    story: CustomerStory = NO_STORY  # what the card tells of the customer (card messages)

    @property
    def shows_card(self) -> bool:
        return self.item is not None and self.message.action in CARD_ACTIONS


def _masked(work: _Work, masker: Masker) -> _Work:
    """The work as it may leave: personal data masked in the item, the event, the customer's
    earlier items and a webhook's body (the outbox row keeps them whole)."""
    message = work.message
    if message.platform is Platform.WEBHOOK:
        return replace(work, message=replace(message, payload=masker.mask_json(message.payload)))
    if work.item is not None and work.copy is not None and not shows_words(work.item, work.copy):
        # A sensitive item's card in a broad channel: the stub, with no story and no notes.
        return replace(work, item=stub_item(work.item), event=None, story=NO_STORY)
    return replace(
        work,
        item=masked_item(work.item, masker) if work.item else None,
        event=masked_event(work.event, masker) if work.event else None,
        story=masked_story(work.story, masker),
    )


class OutboxWorker:
    """Drains the outbox; also a `ChangeListener`, so a committed change wakes it at once."""

    def __init__(
        self,
        db: Store,
        posters: Mapping[Platform, ChatPoster],
        clock: Clock | None = None,
        *,
        webhooks: tuple[WebhookSender, WebhookDirectory] | None = None,
        replies: tuple[ReplyChannel, Replies] | None = None,
        stories: CustomerStories | None = None,
        privacy: Privacy | None = None,
        direct: Mapping[Platform, DirectMessenger] | None = None,
        alerts: SpikeAlerts | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 100,
        idle_poll_seconds: float = 1.0,
    ) -> None:
        self._db = db
        self._posters = dict(posters)
        self._webhooks = webhooks
        self._replies = replies
        self._stories = stories
        self._privacy = privacy or Privacy(db)
        self._direct = dict(direct or {})
        self._alerts = alerts
        self._targets = [
            *self._posters,
            *([Platform.WEBHOOK] if webhooks else []),
            *([Platform.EMAIL] if replies else []),
        ]
        self._clock: Clock = clock or SystemClock()
        self._lease = lease
        self._batch = batch
        self._idle_poll = idle_poll_seconds
        self._wakeup = Wakeup()
        self._stopping = False
        self._sending: dict[tuple[Platform, str], asyncio.Task[None]] = {}

    def item_changed(self, change: Change) -> None:
        if change.outbound:
            self.wake()

    def wake(self) -> None:
        """Thread-safe: use cases run in worker threads and call this after commit."""
        self._wakeup.wake()

    async def run(self) -> None:
        """Drain until `stop()`; sleeps between rounds unless woken (a channel done wakes it)."""
        self._wakeup.bind()
        while not self._stopping:
            self._wakeup.clear()
            try:
                handled = await self.drain_once(wait=False)
            except Exception:
                log.exception("outbox.drain_failed")
                handled = 0
            if self._stopping:
                break
            # Every committed change wakes the worker: a short gap lets a burst of them share
            # one round instead of each paying for its own look at the table.
            await asyncio.sleep(ROUND_GAP_SECONDS)
            if handled == 0:
                await self._wakeup.sleep(self._idle_poll)
        if self._sending:  # each run gives back its untried rest once it sees `stop()`
            await asyncio.wait(list(self._sending.values()))

    def stop(self) -> None:
        self._stopping = True
        self.wake()

    async def drain_once(self, *, wait: bool = True) -> int:
        """One round: take due messages, send them channel by channel; returns how many.

        With `wait=False` each channel's run goes on as a task, and channels still sending
        are not taken again until it ends.
        """
        if not self._targets:
            return 0
        work, fields, masker = await asyncio.to_thread(self._take, list(self._sending))
        if fields:
            work = await self._with_accounts(work, fields)
        work = [_masked(w, masker) for w in work]  # after the look-ups, which need the email
        by_channel = [
            list(group)
            for _, group in groupby(
                sorted(work, key=lambda w: (w.message.platform, w.message.channel, _in_line(w))),
                key=lambda w: (w.message.platform, w.message.channel),
            )
        ]
        if wait:
            await asyncio.gather(*(self._send_channel(group) for group in by_channel))
        else:
            for group in by_channel:
                key = (group[0].message.platform, group[0].message.channel)
                self._sending[key] = task = asyncio.create_task(self._send_channel(group))
                task.add_done_callback(functools.partial(self._channel_done, key))
        return len(work)

    def _channel_done(self, key: tuple[Platform, str], task: asyncio.Task[None]) -> None:
        self._sending.pop(key, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox.channel_failed channel=%s", key[1], exc_info=task.exception())
        self.wake()  # its next messages may be due

    def _take(
        self, busy: Sequence[tuple[Platform, str]] = ()
    ) -> tuple[list[_Work], tuple[str, ...], Masker]:
        """The due messages, each with what it needs read (for a card: its customer's earlier
        items, one query for the round), the account fields cards show now, and the masker
        for what they say."""
        masker = self._privacy.masker()
        with self._db.read() as uow:  # most wake-ups find nothing: skip the write lock then
            if not uow.outbox.any_due(self._targets, self._clock.now(), skip=busy):
                return [], (), masker
        with self._db.write() as uow:
            messages = uow.outbox.lease_due(
                self._targets, self._clock.now(), self._lease, self._batch, skip=busy
            )
            uow.commit()
        with self._db.read() as uow:  # an item's messages (card update, note) share its reads
            items = {i: uow.feedback.get(i) for i in {m.feedback_id for m in messages} if i}
            cards: dict[tuple[int | None, object], CardCopy] = {
                (i, c.id): c for i, it in items.items() if it for c in uow.cards.for_item(i)
            }
            works = []
            for message in messages:
                item = items.get(message.feedback_id) if message.feedback_id else None
                copy = cards.get((message.feedback_id, message.payload.get("card_id")))
                event_id = message.payload.get("event_id")
                event = uow.events.get(event_id) if isinstance(event_id, int) else None
                works.append(_Work(message, item, copy, event))
            if self._stories is None or not works:
                return works, (), masker
            shown = [w.item for w in works if w.item is not None and w.shows_card]
            stories = self._stories.stories(uow, shown)
        works = [
            replace(w, story=stories[w.item.id])
            if w.item is not None and w.shows_card and w.item.id in stories
            else w
            for w in works
        ]
        return works, self._stories.fields(), masker

    async def _with_accounts(self, works: list[_Work], fields: Sequence[str]) -> list[_Work]:
        """The cards' account fields, looked up for the whole round at once; a look-up that
        does not answer in time leaves its cards without them (they do not wait)."""
        assert self._stories is not None
        items = [w.item for w in works if w.item is not None and w.shows_card]
        facts = await self._stories.account_facts(items, fields)
        return [
            replace(w, story=replace(w.story, account=facts[w.item.id]))
            if w.item is not None and w.shows_card and w.item.id in facts
            else w
            for w in works
        ]

    async def _send_channel(self, works: Sequence[_Work]) -> None:
        rendered: dict[int, CardCopy] = {}  # cards already showing this round's state
        loop = asyncio.get_running_loop()
        # A paced channel can take longer than the lease: stop well before it runs out, so no
        # other replica takes a message this run may still send.
        deadline = loop.time() + self._lease.total_seconds() / 2
        for index, work in enumerate(works):
            overtaken = (
                index > 0
                and _is_chat(work.message, self._posters)
                and await asyncio.to_thread(self._overtaken, work.message)
            )
            if overtaken or self._stopping or loop.time() > deadline:
                await asyncio.to_thread(self._release, works[index:])
                return
            message = work.message
            try:
                posted = await self._deliver(work, rendered)
            except DeliveryError as error:
                if error.rate_limited:
                    count_rate_limited(message.platform)
                # A rate limit is Slack saying "later", never "no": only other errors give up.
                worn_out = message.attempts >= MAX_ATTEMPTS and not error.rate_limited
                if error.retry_after is None or worn_out:
                    log.warning(
                        "outbox.gave_up id=%s action=%s platform=%s error=%s",
                        message.id,
                        message.action,
                        message.platform,
                        error,
                    )
                    await asyncio.to_thread(self._give_up, message, str(error))
                    continue
                delay = error.retry_after or _backoff(message.attempts)
                await asyncio.to_thread(self._retry_rest, works[index:], delay, str(error))
                return
            except Exception as error:
                delay = _backoff(message.attempts)
                log.exception("outbox.send_failed id=%s action=%s", message.id, message.action)
                await asyncio.to_thread(self._retry_rest, works[index:], delay, repr(error))
                return
            await asyncio.to_thread(self._done, message, work.copy, posted)

    async def _deliver(self, work: _Work, rendered: dict[int, CardCopy]) -> PostedCard | None:
        """Perform one message; returns the platform ids when it posted a new card.

        Cards render the item as it is now, so one render per card per round is enough.
        """
        if work.message.platform is Platform.WEBHOOK:
            await self._send_webhook(work.message)
            return None
        if work.message.action == OutboxAction.DIRECT:
            await self._send_direct(work.message)
            return None
        if work.message.platform is Platform.EMAIL:
            await self._send_reply(work.message)
            return None
        if work.message.action in ALERT_ACTIONS:
            if self._alerts is not None:
                await self._alerts.send(work.message, retry=work.message.attempts > 1)
            return None
        poster = self._posters[work.message.platform]
        if work.message.action == OutboxAction.SUMMARY:
            await self._send_summary(work.message, poster)
            return None
        item, copy = work.item, work.copy
        if item is None or copy is None:
            return None  # the item or its card is gone: nothing left to show
        copy = rendered.get(copy.id, copy)
        action = work.message.action
        retry = work.message.attempts > 1  # taking it counted one: an earlier take may have sent it
        if action == OutboxAction.POST_CARD:
            if copy.message_id is not None:
                return None
            posted = await poster.post_card(
                item, copy.channel, f"allhands-card-{copy.id}", retry=retry, story=work.story
            )
            rendered[copy.id] = replace(copy, message_id=posted.message_id, extra=posted.extra)
            return posted
        if copy.message_id is None:
            return None  # the card was never posted; its post renders the current state anyway
        if action == OutboxAction.UPDATE_CARD and copy.id not in rendered:
            rendered[copy.id] = copy
            await poster.update_card(item, copy, work.story)
        elif action == OutboxAction.NOTE and work.event is not None:
            note_id = await poster.post_note(item, copy, work.event, retry=retry)
            return PostedCard(note_id, {}) if note_id is not None else None
        elif action == OutboxAction.REDACT_NOTE:
            payload = work.message.payload
            await poster.redact_note(copy, str(payload["note_id"]), str(payload["text"]))
        elif action == OutboxAction.MENTION and item.state is State.OPEN:
            # Paging a group for an item someone already took would only be noise.
            mention = work.message.payload.get("mention")
            if isinstance(mention, str):
                await poster.post_mention(item, copy, mention, retry=retry)
        return None

    async def _send_summary(self, message: OutboxMessage, poster: ChatPoster) -> None:
        """A flood's summary as it stands now: posted the first time, then updated in place."""
        key = summary_key(message.platform, message.channel, message.payload)
        flood = await asyncio.to_thread(self._take_summary, key)
        if flood is None:
            return  # its hour's counter is gone: nothing left to tell
        text = summary_text(flood)
        if flood.message_id is not None:
            summary = PostedCard(flood.message_id, flood.extra or {})
            await poster.update_summary(message.channel, summary, text)
            return
        dedup_key = f"allhands-flood-{key.source}-{key.hour:%Y%m%d%H}"
        retry = message.attempts > 1
        posted = await poster.post_summary(message.channel, dedup_key, text, key.hour, retry=retry)
        await asyncio.to_thread(self._summary_posted, key, posted)

    def _take_summary(self, key: FloodKey) -> Flood | None:
        with self._db.write() as uow:
            flood = uow.floods.take_summary(key)
            uow.commit()
        return flood

    def _summary_posted(self, key: FloodKey, posted: PostedCard) -> None:
        with self._db.write() as uow:
            uow.floods.summary_posted(key, posted.message_id, posted.extra)
            uow.commit()

    async def _send_webhook(self, message: OutboxMessage) -> None:
        assert self._webhooks is not None
        sender, directory = self._webhooks
        hook = directory.named(message.channel)
        if hook is None:
            return  # the lead removed this webhook meanwhile
        body = json.dumps(message.payload, separators=(",", ":")).encode()
        await sender.deliver(hook.url, hook.secret, str(message.id), body)

    async def _send_direct(self, message: OutboxMessage) -> None:
        messenger = self._direct.get(message.platform)
        email, text = message.payload.get("email"), message.payload.get("text")
        if messenger is None or not isinstance(email, str) or not isinstance(text, str):
            log.warning("outbox.direct_unsendable id=%s platform=%s", message.id, message.platform)
            return
        reply_ref = message.payload.get("reply_ref")
        if not await messenger.send_direct(
            email, text, reply_ref if isinstance(reply_ref, str) else None
        ):
            log.info("outbox.direct_nobody id=%s platform=%s", message.id, message.platform)

    async def _send_reply(self, message: OutboxMessage) -> None:
        """Once recorded as sent, a reply is not sent again (a retried command queues it twice)."""
        assert self._replies is not None
        channel, replies = self._replies
        outgoing = await asyncio.to_thread(replies.outgoing, _reply_id(message))
        if outgoing is not None:
            # Taking it counted one attempt: more means an earlier take may have sent it.
            await channel.send(outgoing, retry=message.attempts > 1)

    def _done(
        self, message: OutboxMessage, copy: CardCopy | None, posted: PostedCard | None
    ) -> None:
        if self._replies is not None and message.action == OutboxAction.REPLY:
            self._replies[1].sent(message.id, _reply_id(message))
            return
        with self._db.write() as uow:
            if message.action == OutboxAction.NOTE:  # its id, so an erasure can rewrite it
                note_id = posted.message_id if posted is not None else None
                uow.outbox.mark_sent(message.id, self._clock.now(), note_id)
                uow.commit()
                return
            if posted is not None and copy is not None:
                uow.cards.mark_posted(copy.id, posted.message_id, posted.extra)
            uow.outbox.mark_sent(message.id, self._clock.now())
            uow.commit()

    def _retry_rest(self, works: Sequence[_Work], delay: float, error: str) -> None:
        """Push this message and the rest of its channel back, keeping their order."""
        with self._db.write() as uow:
            when = self._clock.now() + timedelta(seconds=delay)
            uow.outbox.retry_at([works[0].message.id], when, error)
            uow.outbox.retry_at([w.message.id for w in works[1:]], when, error, tried=False)
            uow.commit()

    def _overtaken(self, message: OutboxMessage) -> bool:
        """Whether a more pressing message (an urgent card) came into the channel meanwhile:
        then the run gives back its rest, and the next round starts with that one."""
        with self._db.read() as uow:
            return uow.outbox.waiting_ahead(message.platform, message.channel, message.priority)

    def _release(self, works: Sequence[_Work]) -> None:
        with self._db.write() as uow:
            uow.outbox.retry_at([w.message.id for w in works], self._clock.now(), tried=False)
            uow.commit()

    def _give_up(self, message: OutboxMessage, error: str) -> None:
        if self._replies is not None and message.action == OutboxAction.REPLY:
            self._replies[1].refused(message.id, _reply_id(message), error)
            return
        with self._db.write() as uow:
            uow.outbox.give_up(message.id, error)
            uow.commit()


def _is_chat(message: OutboxMessage, posters: Mapping[Platform, ChatPoster]) -> bool:
    """Cards and their notes, the messages priorities order (not webhooks, emails or DMs)."""
    return message.platform in posters and message.action != OutboxAction.DIRECT


def _in_line(work: _Work) -> tuple[int, int]:
    """A channel's order: highest priority first, then oldest first (as the outbox takes it)."""
    return -work.message.priority, work.message.id


def _reply_id(message: OutboxMessage) -> int:
    return int(message.payload["reply_id"])
