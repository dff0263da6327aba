"""What a source's delivery does: kept raw first, then read and applied by a worker.

Answering a vendor costs one write: the raw delivery (and, when its parser could read it, an
inbox entry), shared by the deliveries arriving together. The inbox worker then parses it
again from what was kept and applies what it says: a new conversation becomes an item, more
words become a comment on that item (the customer writing again reopens a closed one), a
status the vendor sets is noted on the card. Kept raw, a delivery a parser could not read can
be replayed once the parser is fixed (`allhands sources replay ID`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from bot.delivery.fanout import load
from bot.delivery.group_commit import GroupCommit
from bot.delivery.inbox import Inbox
from bot.domain import BODY_MAX_CHARS, Actor, EventKind, Identity, Platform, State
from bot.errors import NotFound
from bot.intake import FeedbackDraft
from bot.ports.clock import Clock
from bot.ports.records import DeliveryStatus, RawDelivery
from bot.ports.sources import SourceParser
from bot.ports.store import Store, UnitOfWork
from bot.service import COMMENT_MAX_CHARS, Desk
from bot.sources.events import Arrived, FollowedUp, SourceEvent, StatusChanged, Unusable
from bot.sources.registry import SourceConfig, SourceRegistry

TITLE_MAX_CHARS = 300


@dataclass(frozen=True, slots=True)
class Incoming:
    """One delivery as it came, before it is kept."""

    source: str
    event_id: str
    content_type: str
    headers: dict[str, str]
    body: bytes
    unusable: str | None = None  # why the parser could not read it, if it could not


@dataclass(frozen=True, slots=True)
class Kept:
    delivery_id: int | None  # None: the source delivered this event before


@dataclass(frozen=True, slots=True)
class Applied:
    delivery_id: int
    refs: tuple[str, ...]  # the items it made or changed
    unusable: str | None = None


def source_identity(source: str) -> Identity:
    """Who acts when a source's delivery changes an item."""
    return Identity(Platform.SOURCE, source, source)


class SourceIntake:
    def __init__(
        self, db: Store, desk: Desk, registry: SourceRegistry, inbox: Inbox, clock: Clock
    ) -> None:
        self._db = db
        self._inbox = inbox
        self._desk = desk
        self._registry = registry
        self._clock = clock
        self._commit: GroupCommit[Incoming, Kept] = GroupCommit(self._keep)

    async def keep(self, incoming: Incoming) -> Kept:
        """Return once the delivery is stored (or known from before): then it may be answered."""
        kept = await self._commit.submit(incoming)
        self._inbox.wake_workers()
        return kept

    def _keep(self, batch: Sequence[Incoming]) -> list[Kept]:
        kept: list[Kept] = []
        with self._db.write() as uow:
            now = self._clock.now()
            queued = []
            for incoming in batch:
                status = DeliveryStatus.UNUSABLE if incoming.unusable else DeliveryStatus.PENDING
                delivery_id = uow.sources.record(
                    incoming.source,
                    incoming.event_id,
                    incoming.content_type,
                    incoming.headers,
                    incoming.body,
                    status,
                    incoming.unusable,
                    now,
                )
                kept.append(Kept(delivery_id))
                if delivery_id is not None and not incoming.unusable:
                    work = {"delivery": delivery_id, "source": incoming.source}
                    queued.append((Platform.SOURCE, f"source:{delivery_id}", work))
            uow.inbox.record(queued, now)
            uow.commit()
        return kept

    def apply(self, delivery_id: int, parser: SourceParser) -> Applied:
        """Read a kept delivery with its vendor's parser and do what it says (the worker's
        step, and a replay's)."""
        with self._db.read() as uow:
            delivery = uow.sources.delivery(delivery_id)
        if delivery is None:
            raise NotFound(f"There is no source delivery {delivery_id}.")
        source = self._registry.get(delivery.source)
        try:
            events = parser.parse(source, delivery)
            refs = tuple(ref for event in events for ref in self._apply(source, event))
        except Unusable as unusable:
            self._mark(delivery, DeliveryStatus.UNUSABLE, unusable.reason)
            return Applied(delivery_id, (), unusable.reason)
        self._mark(delivery, DeliveryStatus.APPLIED, None)
        return Applied(delivery_id, refs)

    def _mark(self, delivery: RawDelivery, status: DeliveryStatus, error: str | None) -> None:
        with self._db.write() as uow:
            uow.sources.mark(delivery.id, status, error)
            uow.commit()

    def _apply(self, source: SourceConfig, event: SourceEvent) -> list[str]:
        if isinstance(event, Arrived):
            return [self._arrived(source, event)]
        if isinstance(event, FollowedUp):
            return self._followed_up(source, event)
        return self._status(source, event)

    def _arrived(self, source: SourceConfig, event: Arrived) -> str:
        try:
            draft = FeedbackDraft(
                source=source.name,
                external_id=event.key,
                title=(event.title or "")[:TITLE_MAX_CHARS] or None,
                body=event.body[:BODY_MAX_CHARS],
                kind=event.kind,
                severity=event.severity,
                tags=list(event.tags),
                url=event.url,
                customer=event.customer,
                received_at=event.received_at,
            )
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise Unusable(f"{where}: {first['msg']}") from None
        item = self._desk.ingest(draft, source_identity(source.name)).item
        if event.aliases:
            with self._db.write() as uow:
                uow.sources.remember_keys(source.name, event.aliases, item.id)
                uow.commit()
        return item.ref

    def _followed_up(self, source: SourceConfig, event: FollowedUp) -> list[str]:
        with self._db.write() as uow:
            item_id = uow.sources.item_for_keys(source.name, event.refers_to)
            if item_id is not None:
                return [self._comment(uow, source, item_id, event)]
        # Unknown conversation: started here, once this unit of work (on SQLite, the one
        # writer's turn) is over.
        return [self._arrived(source, event.otherwise)] if event.otherwise else []

    def _comment(
        self, uow: UnitOfWork, source: SourceConfig, item_id: int, event: FollowedUp
    ) -> str:
        now = self._clock.now()
        who = source_identity(source.name)
        actor = Actor(uow.people.resolve(who, now), who.platform)
        text = (f"{event.author}: {event.text}" if event.author else event.text).strip()
        text = text.replace("\x00", "")[:COMMENT_MAX_CHARS]
        key = event.own_key or hashlib.sha256(text.encode()).hexdigest()
        item = load(uow, item_id)
        uow.feedback.lock(item_id)
        if event.own_key:
            uow.sources.remember_keys(source.name, [event.own_key], item_id)
        external_id = f"{source.name}:{key}"[:200]
        at = event.at or now
        if not text or not uow.feedback.add_comment(
            item_id, actor.person.id, Platform.SOURCE, text, at, external_id
        ):
            uow.commit()
            return item.ref
        fanout = self._desk.fanout
        reopens = event.from_customer and item.state is State.CLOSED
        if reopens and uow.feedback.reopen(item_id, now):
            reason = {"reason": "the customer wrote again"}
            logged = fanout.log_change(uow, item_id, EventKind.REOPENED, actor, now, reason)
        else:
            data = {"text": text[:500]}
            logged = fanout.log_change(uow, item_id, EventKind.COMMENTED, actor, now, data)
        fanout.commit(uow, [logged.change])
        return item.ref

    def _status(self, source: SourceConfig, event: StatusChanged) -> list[str]:
        with self._db.write() as uow:
            item_id = uow.sources.item_for_keys(source.name, [event.key])
            if item_id is None:
                uow.commit()
                return []
            now = self._clock.now()
            item = load(uow, item_id)
            if item.source_status == event.status:
                uow.commit()
                return [item.ref]
            who = source_identity(source.name)
            actor = Actor(uow.people.resolve(who, now), who.platform)
            uow.feedback.set_source_status(item_id, event.status, now)
            data = {"source": source.name, "status": event.status}
            fanout = self._desk.fanout
            logged = fanout.log_change(uow, item_id, EventKind.SOURCE_STATUS, actor, now, data)
            fanout.commit(uow, [logged.change])
            return [item.ref]
