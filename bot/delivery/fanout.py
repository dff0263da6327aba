"""What a change sends once it commits: for every copy of the item's card an update and a
thread note, a new card in every channel a new item is routed to, and the webhooks.

Written into the outbox in the change's own transaction, so a rollback sends nothing and a
commit loses nothing; the `ChangeListener` hears of the change after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.admin.webhooks import WebhookDirectory, webhook_body
from bot.delivery.floods import FloodGate, card_priority
from bot.domain import Actor, EventKind, Feedback, Platform, Severity
from bot.errors import NotFound
from bot.ports.changes import Change, ChangeListener
from bot.ports.chat import Destination, Router
from bot.ports.records import CardCopy, OutboxAction
from bot.ports.store import UnitOfWork
from bot.privacy.sensitive import shows_words, webhook_without_words
from bot.privacy.shown import stored_privacy


@dataclass(frozen=True, slots=True)
class Logged:
    """An event written and fanned out, uncommitted: the item as it is now, the change to
    announce, and where its card is on show."""

    item: Feedback
    change: Change
    cards: frozenset[tuple[Platform, str]]


class Fanout:
    def __init__(
        self,
        router: Router,
        listener: ChangeListener,
        webhooks: WebhookDirectory | None,
        floods: FloodGate | None = None,
    ) -> None:
        self._router = router
        self._listener = listener
        self._webhooks = webhooks
        self._floods = floods or FloodGate(0)

    def log_change(
        self,
        uow: UnitOfWork,
        item_id: int,
        kind: EventKind,
        actor: Actor,
        now: datetime,
        data: dict[str, Any] | None = None,
    ) -> Logged:
        """The event row and everything it sends (card updates, notes, webhooks).

        The item's row is locked first: ids come from sequences in insertion order, so two
        concurrent changes to one item would otherwise commit out of their outbox order, and a
        card's thread notes could arrive out of order.
        """
        uow.feedback.lock(item_id)
        event_id = uow.events.add(item_id, kind, actor.person.id, actor.platform, now, data)
        item = load(uow, item_id)
        copies = uow.cards.for_item(item_id)
        for copy in copies:
            payload = {"card_id": copy.id}
            uow.outbox.enqueue(
                copy.platform, copy.channel, OutboxAction.UPDATE_CARD, item_id, payload, now
            )
            if not shows_words(item, copy):
                continue  # a broad channel's stub of a sensitive item: its card says enough
            if kind is not EventKind.COMMENTED or copy.platform is not actor.platform:
                note = {"card_id": copy.id, "event_id": event_id}
                uow.outbox.enqueue(
                    copy.platform, copy.channel, OutboxAction.NOTE, item_id, note, now
                )
        if self._webhooks is not None:
            for hook in self._webhooks.subscribed(kind):
                body = webhook_body(kind, item, actor.person, actor.platform, now, data or {})
                if item.sensitive_rule and not hook.trusted:
                    body = webhook_without_words(body)
                uow.outbox.enqueue(
                    Platform.WEBHOOK, hook.name, OutboxAction.WEBHOOK, item_id, body, now
                )
        return Logged(item, Change(item_id, event_id, kind), shown(copies))

    def may_join(self, uow: UnitOfWork, item: Feedback, card_item_id: int) -> bool:
        """Whether `item` may attach as a repeat to that item's card, which then quotes it:
        never across a sensitive route's line, either way."""
        joined = uow.feedback.get(card_item_id)
        joined_sensitive = joined is not None and joined.sensitive_rule is not None
        return not joined_sensitive and self._router.place(item).sensitive is None

    def post_cards(self, uow: UnitOfWork, item: Feedback, now: datetime) -> Feedback:
        """A card in every routed channel; an urgent item also pages the channel's mention.

        A sensitive route's item is marked so, its card restricted to the route's channels;
        the broad channels it would otherwise reach get a stub unless leads chose nothing. An
        urgent or high item's card (and page) goes ahead of the channel's queued normal cards;
        a normal one past its source's flood threshold gets no card, only a count in the
        flood's summary. The mention is queued right after its card in the same channel, so the
        outbox sends it once the card exists and can carry it in the card's thread. Returns the
        item as marked.
        """
        placement = self._router.place(item)
        stubs: list[Destination] = []
        if placement.sensitive is not None:
            uow.feedback.mark_sensitive(item.id, placement.sensitive)
            item = replace(item, sensitive_rule=placement.sensitive)
            if stored_privacy(uow).sensitive_elsewhere == "stub":
                stubs = placement.stubs
        restricted = placement.sensitive is not None
        chosen = [(d, restricted) for d in placement.cards] + [(d, False) for d in stubs]
        priority = card_priority(item)
        for destination, in_restricted in chosen:
            platform, channel = destination.platform, destination.channel
            if not self._floods.admits(uow, item, platform, channel, now):
                continue
            card_id = uow.cards.add_pending(
                item.id, platform, channel, now, restricted=in_restricted
            )
            if card_id is None:
                continue
            card = {"card_id": card_id}
            post = OutboxAction.POST_CARD
            uow.outbox.enqueue(platform, channel, post, item.id, card, now, priority=priority)
            if item.severity is Severity.URGENT and destination.mention:
                page = {**card, "mention": destination.mention}
                mention = OutboxAction.MENTION
                uow.outbox.enqueue(
                    platform, channel, mention, item.id, page, now, priority=priority
                )
        return item

    def commit(self, uow: UnitOfWork, changes: Sequence[Change]) -> None:
        """Commit, then tell the listener; `outbound` says whether anything waits to be sent."""
        outbound = uow.outbox.enqueued > 0
        told = [replace(change, outbound=outbound) for change in changes]
        uow.after_commit(lambda: self._announce(told))
        uow.commit()

    def _announce(self, changes: Sequence[Change]) -> None:
        for change in changes:
            self._listener.item_changed(change)


def load(uow: UnitOfWork, item_id: int) -> Feedback:
    item = uow.feedback.get(item_id)
    if item is None:
        raise NotFound(f"There is no feedback FB-{item_id}.")
    return item


def shown(copies: Sequence[CardCopy]) -> frozenset[tuple[Platform, str]]:
    """Where the card copies are on show: those posted, by platform and message id."""
    return frozenset((c.platform, c.message_id) for c in copies if c.message_id)
