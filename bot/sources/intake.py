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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.delivery.fanout import load
from bot.delivery.group_commit import GroupCommit
from bot.delivery.inbox import Inbox
from bot.domain import (
    BODY_MAX_CHARS,
    Actor,
    EventKind,
    Feedback,
    Identity,
    Kind,
    Platform,
    State,
)
from bot.errors import AllHandsError, NotFound
from bot.intake import FeedbackDraft
from bot.ports.clock import Clock
from bot.ports.records import DeliveryStatus
from bot.ports.sources import SourceParser
from bot.ports.store import Store, UnitOfWork
from bot.service import COMMENT_MAX_CHARS, Desk, Ingested, IngestRequest
from bot.sources.events import (
    Arrived,
    FollowedUp,
    Revised,
    SourceEvent,
    StatusChanged,
    Unusable,
)
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
        """Read a kept delivery with its vendor's parser and do what it says (a replay)."""
        applied = self.apply_each([delivery_id], parser)[0]
        if isinstance(applied, AllHandsError):
            raise applied
        return applied

    def apply_each(
        self, delivery_ids: Sequence[int], parser: SourceParser
    ) -> list[Applied | AllHandsError]:
        """The worker's step for deliveries taken together: each read with its vendor's parser;
        the new conversations among them become items first, in one transaction (as API
        requests arriving together do), then the other events are applied one by one, and
        every outcome is marked in one transaction. A delivery that cannot be applied now
        (its source is gone) gets its error, and its inbox entry is tried again later."""
        with self._db.read() as uow:
            deliveries = uow.sources.deliveries(delivery_ids)
        outcomes: list[Applied | AllHandsError | None] = [None] * len(deliveries)
        refs: dict[int, list[str]] = defaultdict(list)
        unusable: dict[int, str] = {}
        arrivals: list[tuple[int, SourceConfig, Arrived, FeedbackDraft]] = []
        others: list[tuple[int, SourceConfig, list[SourceEvent]]] = []
        for index, (delivery_id, delivery) in enumerate(zip(delivery_ids, deliveries, strict=True)):
            if delivery is None:
                outcomes[index] = NotFound(f"There is no source delivery {delivery_id}.")
                continue
            source = self._registry.cached(delivery.source)
            if source is None:
                outcomes[index] = NotFound(f"There is no source named {delivery.source}.")
                continue
            try:
                events = parser.parse(source, delivery)
                new = [event for event in events if isinstance(event, Arrived)]
                if len(new) == len(events):
                    arrivals += [(index, source, event, draft_of(source, event)) for event in new]
                else:
                    others.append((index, source, events))
            except Unusable as error:
                unusable[index] = error.reason
        self._arrivals(arrivals, refs, outcomes)
        for index, source, events in others:
            try:
                refs[index] += [ref for event in events for ref in self._apply(source, event)]
            except Unusable as error:
                unusable[index] = error.reason
        marks: list[tuple[int, str, str | None]] = []
        for index, delivery in enumerate(deliveries):
            if delivery is None or outcomes[index] is not None:
                continue
            reason = unusable.get(index)
            marks.append(
                (delivery.id, DeliveryStatus.UNUSABLE if reason else DeliveryStatus.APPLIED, reason)
            )
            outcomes[index] = Applied(delivery.id, () if reason else tuple(refs[index]), reason)
        with self._db.write() as uow:
            uow.sources.mark_each(marks)
            uow.commit()
        return [outcome for outcome in outcomes if outcome is not None]  # each has one now

    def _arrivals(
        self,
        arrivals: Sequence[tuple[int, SourceConfig, Arrived, FeedbackDraft]],
        refs: dict[int, list[str]],
        outcomes: list[Applied | AllHandsError | None],
    ) -> None:
        """New conversations from several deliveries: their items in one transaction, then
        the other keys their threads go by in another."""
        if not arrivals:
            return
        requests = [
            IngestRequest(draft, source_identity(source.name)) for _, source, _, draft in arrivals
        ]
        aliases: list[tuple[str, tuple[str, ...], int]] = []
        for (index, source, event, _), made in zip(
            arrivals, self._desk.ingest_each(requests), strict=True
        ):
            if isinstance(made, AllHandsError):
                outcomes[index] = made
                continue
            refs[index].append(made.item.ref)
            if event.aliases:
                aliases.append((source.name, event.aliases, made.item.id))
        if aliases:
            with self._db.write() as uow:
                for name, keys, item_id in aliases:
                    uow.sources.remember_keys(name, keys, item_id)
                uow.commit()

    def _apply(self, source: SourceConfig, event: SourceEvent) -> list[str]:
        if isinstance(event, Arrived):
            return [self._arrived(source, event)]
        if isinstance(event, FollowedUp):
            return self._followed_up(source, event)
        if isinstance(event, Revised):
            return [self._revised(source, event)]
        return self._status(source, event)

    def _arrived(self, source: SourceConfig, event: Arrived) -> str:
        return self._ingest(source, event).item.ref

    def _ingest(self, source: SourceConfig, event: Arrived) -> Ingested:
        ingested = self._desk.ingest(draft_of(source, event), source_identity(source.name))
        if event.aliases:
            with self._db.write() as uow:
                uow.sources.remember_keys(source.name, event.aliases, ingested.item.id)
                uow.commit()
        return ingested

    def _followed_up(self, source: SourceConfig, event: FollowedUp) -> list[str]:
        with self._db.write() as uow:
            item_id = uow.sources.item_for_keys(source.name, event.refers_to)
            if item_id is not None:
                return [self._comment(uow, source, item_id, event)]
            uow.commit()
        # A new item is written by the Desk in its own unit of work: this one is over by then
        # (SQLite has one writer, and it would be this one still).
        return [self._arrived(source, event.otherwise)] if event.otherwise else []

    def _comment(
        self, uow: UnitOfWork, source: SourceConfig, item_id: int, event: FollowedUp
    ) -> str:
        now = self._clock.now()
        who = source_identity(source.name)
        actor = Actor(uow.people.resolve(who, now), who.platform)
        text = (f"{event.author}: {event.text}" if event.author else event.text).strip()
        text = text.replace("\x00", "")[:COMMENT_MAX_CHARS]
        # Words without an id of their own are known by their item and text: the same "Thanks!"
        # on two tickets is two comments, a retry of it on one ticket is one.
        key = event.own_key or hashlib.sha256(f"{item_id}\n{text}".encode()).hexdigest()
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

    def _revised(self, source: SourceConfig, event: Revised) -> str:
        """The first version seen starts the item; a later one rewrites it (`revise`)."""
        with self._db.read() as uow:
            item_id = uow.sources.item_for_keys(source.name, [event.latest.key])
        if item_id is None:
            ingested = self._ingest(source, event.latest)
            if ingested.created:
                return ingested.item.ref
            item_id = ingested.item.id  # another version made it just now: this one rewrites it
        return self._revise(source, item_id, event)

    def _revise(self, source: SourceConfig, item_id: int, event: Revised) -> str:
        """Bring the item's words, kind, severity and tags up to the latest version, note it
        in the card's thread, and reopen a closed item when the edit still complains: the
        customer is not done with us (a kinder edit leaves it closed)."""
        draft = draft_of(source, event.latest)
        with self._db.write() as uow:
            now = self._clock.now()
            uow.feedback.lock(item_id)
            item = load(uow, item_id)
            changes = _changes(item, draft)
            if not changes:
                uow.commit()
                return item.ref
            uow.feedback.revise(
                item_id,
                now,
                title=draft.title,
                body=draft.body,
                kind=draft.kind,
                severity=draft.severity,
                tags=draft.tags,
            )
            who = source_identity(source.name)
            actor = Actor(uow.people.resolve(who, now), who.platform)
            data = {"what": event.what, "rating": event.rating, **changes}
            fanout = self._desk.fanout
            logged = [fanout.log_change(uow, item_id, EventKind.REVISED, actor, now, data)]
            still_complains = draft.kind is Kind.COMPLAINT and item.state is State.CLOSED
            if still_complains and uow.feedback.reopen(item_id, now):
                reason = {"reason": f"the customer edited their {event.what} and still complains"}
                logged.append(
                    fanout.log_change(uow, item_id, EventKind.REOPENED, actor, now, reason)
                )
            fanout.commit(uow, [entry.change for entry in logged])
            return item.ref


def draft_of(source: SourceConfig, event: Arrived) -> FeedbackDraft:
    """The item a new conversation makes; Unusable naming the field a draft refuses."""
    try:
        return FeedbackDraft(
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


def _changes(item: Feedback, draft: FeedbackDraft) -> dict[str, Any]:
    """What a new version changes, as the event records it: [before, after] for the short
    fields, the new text (cut) when the words changed."""
    changes: dict[str, Any] = {}
    for name, before, after in (
        ("title", item.title, draft.title),
        ("kind", item.kind.value, draft.kind.value),
        ("severity", item.severity.value, draft.severity.value),
        ("tags", list(item.tags), draft.tags),
    ):
        if before != after:
            changes[name] = [before, after]
    if item.body != draft.body:
        changes["text"] = draft.body[:500]
    return changes
