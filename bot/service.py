"""Use cases: every way an item enters or changes, one method each, each in one transaction.

Each use case opens the unit of work it needs from the store (`bot.ports.store`): a read, or a
write that changes the item with one guarded update, writes its event row and its outbound
messages (the outbox) in the same transaction, and tells the `ChangeListener` after commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from bot.admin.webhooks import WebhookDirectory
from bot.delivery.fanout import Fanout, load, shown
from bot.delivery.floods import FloodGate
from bot.domain import (
    THE_BOT,
    Actor,
    EventKind,
    Feedback,
    Identity,
    Person,
    Platform,
    Severity,
    State,
    can_hand_off,
    can_unclaim,
    holder_name,
    id_from_ref,
    ref_for,
)
from bot.errors import AllHandsError, AlreadyClaimed, Conflict, Forbidden, Invalid, NotFound
from bot.intake import TAGS_MAX, FeedbackDraft, clean_tags, has_visible_text, shown_text
from bot.ports.changes import Change, ChangeListener
from bot.ports.chat import Router
from bot.ports.clock import Clock, SystemClock
from bot.ports.embeddings import Vectors
from bot.ports.records import ListFilter
from bot.ports.store import Store, UnitOfWork
from bot.privacy.sensitive import CardView
from bot.privacy.shown import Privacy
from bot.signal.repeats import Repeats
from bot.signal.search import Search
from bot.signal.text import item_text
from bot.trackers.issues import issue_at

COMMENT_MAX_CHARS = 4_000


@dataclass(frozen=True, slots=True)
class Outcome:
    """The item after a use case; `changed` is False for a no-op (e.g. claiming your own claim).

    `cards` are the chat messages (platform, message id) showing the item's card, so a click
    answers with the card itself when it was made on it, without another read.
    """

    item: Feedback
    changed: bool
    cards: frozenset[tuple[Platform, str]]

    def shown_on(self, platform: Platform, message_id: str) -> bool:
        return (platform, message_id) in self.cards


class _Acting(NamedTuple):
    """An open write: its unit of work, who acts (resolved in it), and when."""

    uow: UnitOfWork
    actor: Actor
    now: datetime


@dataclass(frozen=True, slots=True)
class IngestRequest:
    draft: FeedbackDraft
    who: Identity
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class Ingested:
    item: Feedback
    created: bool


class _IdempotencyRace(Exception):
    """Another request with the same Idempotency-Key won; ours must roll back."""

    def __init__(self, winner: int) -> None:
        super().__init__(winner)
        self.winner = winner


def _plain(text: str) -> str:
    """Chat text as stored: without NUL characters (never text; PostgreSQL refuses them) or
    bidirectional controls, and empty when nothing in it would show."""
    text = shown_text(text.replace("\x00", "")).strip()
    return text if has_visible_text(text) else ""


class Desk:
    """The help desk every adapter talks to."""

    def __init__(
        self,
        db: Store,
        router: Router,
        listener: ChangeListener,
        clock: Clock | None = None,
        webhooks: WebhookDirectory | None = None,
        floods: FloodGate | None = None,
        repeats: Repeats | None = None,
    ) -> None:
        self.db = db
        self.repeats = repeats  # None: every item gets its own card, and no vector at ingest
        self.fanout = Fanout(router, listener, webhooks, floods)
        self.clock: Clock = clock or SystemClock()
        self.privacy = Privacy(db)  # what every chat surface shows of an item

    # ---- intake -------------------------------------------------------------------------

    def ingest(
        self,
        draft: FeedbackDraft,
        who: Identity,
        *,
        idempotency_key: str | None = None,
    ) -> Ingested:
        """Create an item, or return the one this (source, external_id) or key produced before."""
        result = self.ingest_each([IngestRequest(draft, who, idempotency_key)])[0]
        if isinstance(result, AllHandsError):
            raise result
        return result

    def ingest_each(self, requests: Sequence[IngestRequest]) -> list[Ingested | AllHandsError]:
        """Independent requests in one transaction (group commit); one's error fails no other."""
        try:
            return self._ingest_together(requests, all_or_nothing=False)
        except _IdempotencyRace as race:
            if len(requests) == 1:
                return [Ingested(self._get_by_id(race.winner), created=False)]
            return [self.ingest_each([request])[0] for request in requests]

    def ingest_many(self, drafts: Sequence[FeedbackDraft], who: Identity) -> list[Ingested]:
        """Several items in one transaction: all are stored or none is."""
        requests = [IngestRequest(draft, who) for draft in drafts]
        results = self._ingest_together(requests, all_or_nothing=True)
        return [result for result in results if isinstance(result, Ingested)]

    def _ingest_together(
        self, requests: Sequence[IngestRequest], *, all_or_nothing: bool
    ) -> list[Ingested | AllHandsError]:
        results: list[Ingested | AllHandsError] = []
        changes: list[Change] = []
        texts = [item_text(r.draft.title, r.draft.body) for r in requests]
        vectors = self.repeats.embed(texts) if self.repeats else [None] * len(requests)
        with self.db.write() as uow:
            now = self.clock.now()
            if self.repeats:
                self.repeats.nearest.refresh(uow)
            actors: dict[Identity, Person] = {}
            for request, vector in zip(requests, vectors, strict=True):
                try:
                    ingested, made = self._ingest_one(uow, request, now, actors, vector)
                except AllHandsError as error:
                    if all_or_nothing:
                        raise
                    results.append(error)
                    continue
                results.append(ingested)
                changes += made
            self.fanout.commit(uow, changes)
        return results

    def _ingest_one(
        self,
        uow: UnitOfWork,
        request: IngestRequest,
        now: datetime,
        actors: dict[Identity, Person],
        vector: Vectors | None,
    ) -> tuple[Ingested, list[Change]]:
        draft, who, key = request.draft, request.who, request.idempotency_key
        request_hash = ""
        if key is not None:
            request_hash = hashlib.sha256(draft.model_dump_json().encode()).hexdigest()
            previous = uow.feedback.idempotency_key(who.external_id, key)
            if previous is not None:
                if previous[1] != request_hash:
                    raise Conflict(
                        "This Idempotency-Key was used for a different request; "
                        "use a new key for new feedback."
                    )
                return Ingested(load(uow, previous[0]), created=False), []
        if who not in actors:
            actors[who] = uow.people.resolve(who, now)
        item = uow.feedback.insert(draft, now)
        if item is None:
            assert draft.external_id is not None
            existing = uow.feedback.id_by_external(draft.source, draft.external_id)
            assert existing is not None
            again = self._seen_again(uow, existing, draft, Actor(actors[who], who.platform), now)
            return again[0], [again[1]] if again[1] else []
        if key is not None:
            winner = uow.feedback.remember_idempotency_key(
                who.external_id, key, request_hash, item.id, now
            )
            if winner != item.id:
                raise _IdempotencyRace(winner)
        card = None
        if self.repeats and vector is not None:
            card = self.repeats.card_for(uow, vector, now)
            self.repeats.remember(uow, item.id, vector, now)
        if card is not None and not self.fanout.may_join(uow, item, card):
            card = None
        data: dict[str, Any] = {"source": draft.source}
        if card is not None:
            uow.repeats.attach(item.id, card)
            item = replace(item, duplicate_of=card)
            data["duplicate_of"] = ref_for(card)
        event_id = uow.events.add(
            item.id, EventKind.INGESTED, actors[who].id, who.platform, now, data
        )
        made = [Change(item.id, event_id, EventKind.INGESTED)]
        if card is None:
            item = self.fanout.post_cards(uow, item, now)
        else:  # the card it repeats updates in place and its thread hears of it
            actor = Actor(actors[who], who.platform)
            repeat = {"ref": item.ref}
            made.append(
                self.fanout.log_change(uow, card, EventKind.REPEATED, actor, now, repeat).change
            )
        return Ingested(item, created=True), made

    def _seen_again(
        self, uow: UnitOfWork, item_id: int, draft: FeedbackDraft, actor: Actor, now: datetime
    ) -> tuple[Ingested, Change | None]:
        """The source sent an item it sent before: the customer wrote again about a closed
        item (a new body) reopens it, with their new words in the discussion."""
        item = load(uow, item_id)
        if item.state is not State.CLOSED or draft.body == item.body:
            return Ingested(item, created=False), None
        if not uow.feedback.reopen(item_id, now):
            return Ingested(load(uow, item_id), created=False), None
        text = f"The customer wrote again: {draft.body}"[:COMMENT_MAX_CHARS]
        uow.feedback.add_comment(item_id, actor.person.id, actor.platform, text, now, None)
        data = {"reason": "the customer wrote again"}
        logged = self.fanout.log_change(uow, item_id, EventKind.REOPENED, actor, now, data)
        return Ingested(logged.item, created=False), logged.change

    # ---- reading ------------------------------------------------------------------------

    def get(self, ref: str) -> Feedback:
        item_id = self._id(ref)
        with self.db.read() as uow:
            item = uow.feedback.get(item_id, with_comments=True)
        if item is None:
            raise NotFound(f"There is no feedback {ref}.")
        return item

    def shown(self, ref: str) -> Feedback:
        """The item as chat may show it: personal data masked."""
        return self.privacy.item(self.get(ref))

    def shown_search(self, where: ListFilter) -> tuple[Feedback, ...]:
        """`search`, as chat may show the items: personal data masked."""
        return self.privacy.items(self.search(where))

    def full_text(self, ref: str, who: Identity) -> Feedback:
        """The item unmasked, for its claimer or a lead while leads allow it (Forbidden else)."""
        return self.privacy.full_text(self.get(ref), self.person(who))

    def search(self, where: ListFilter) -> list[Feedback]:
        with self.db.read() as uow:
            return uow.feedback.find(where)

    def search_text(self, query: str, where: ListFilter, offset: int = 0) -> list[Feedback]:
        """The items passing `where` that hold the query's words or mean the same, best
        first: `where.limit` of them from `offset` on (`bot.signal.search`)."""
        return Search(self.db, self.clock).page(query, where, offset)

    def shown_search_text(self, query: str, where: ListFilter) -> tuple[Feedback, ...]:
        """`search_text`'s first page, as chat may show the items: personal data masked, and
        no sensitive item (that its words matched would already tell the channel about them)."""
        found = self.search_text(query, where)
        return self.privacy.items(tuple(item for item in found if item.sensitive_rule is None))

    def item_for_card(self, platform: Platform, message_id: str) -> Feedback | None:
        """The item a chat message is the card of (for reactions and thread replies)."""
        with self.db.read() as uow:
            copy = uow.cards.by_message(platform, message_id)
            return uow.feedback.get(copy.feedback_id) if copy else None

    def on_card(self, item: Feedback, platform: Platform, message_id: str | None) -> CardView:
        """The item as the card a click came from shows it: masked, and a sensitive item whole
        only on a copy in its restricted channel (a stub on any other, or when unknown)."""
        copy = None
        if message_id:
            with self.db.read() as uow:
                copy = uow.cards.by_message(platform, message_id)
        return self.privacy.on_card(item, copy if copy and copy.feedback_id == item.id else None)

    def counts(self) -> dict[State, int]:
        """How many items are in each state right now."""
        with self.db.read() as uow:
            return uow.feedback.count_by_state()

    def helped_since(self, person: Person, since: datetime) -> int:
        """How many customers' items this person closed since `since`."""
        with self.db.read() as uow:
            return uow.events.items_closed_by(person.id, since)

    def identities(self, person: Person) -> list[Identity]:
        """The person's accounts on every platform (to mention them in each one's own way)."""
        with self.db.read() as uow:
            return uow.people.identities(person.id)

    def first_delivery(self, platform: Platform, delivery_id: str) -> bool:
        """True the first time a platform delivers this id; False for its retries and copies."""
        with self.db.write() as uow:
            first = uow.jobs.first_delivery(platform, delivery_id[:300], self.clock.now())
            uow.commit()
            return first

    def person(self, who: Identity) -> Person:
        with self.db.write() as uow:
            person = uow.people.resolve(who, self.clock.now())
            uow.commit()
            return person

    # ---- changes ------------------------------------------------------------------------

    def claim(self, ref: str, who: Identity) -> Outcome:
        item_id = self._id(ref)
        with self._acting(who) as (uow, actor, now):
            if uow.feedback.claim(item_id, actor.person.id, actor.platform, now):
                return self._record(uow, item_id, EventKind.CLAIMED, actor, now)
            item = load(uow, item_id)
            if item.claimed and item.state is State.CLAIMED:
                if item.claimed.person.id == actor.person.id:
                    return self._unchanged(uow, item)
                raise AlreadyClaimed(item.ref, holder_name(item.claimed.person))
            raise Conflict(f"{item.ref} is closed; reopen it before claiming.")

    def unclaim(self, ref: str, who: Identity) -> Outcome:
        item_id = self._id(ref)
        with self._acting(who) as (uow, actor, now):
            item = load(uow, item_id)
            if item.state is not State.CLAIMED or item.claimed is None:
                raise Conflict(f"{item.ref} is not claimed by anyone.")
            if not can_unclaim(item, actor):
                raise Forbidden(
                    f"Only {holder_name(item.claimed.person)} or a lead can unclaim {item.ref}."
                )
            if not uow.feedback.unclaim(item_id, item.claimed.person.id, now):
                raise Conflict(f"{item.ref} changed just now; look again.")
            return self._record(uow, item_id, EventKind.UNCLAIMED, actor, now)

    def hand_off(self, ref: str, who: Identity, to: Identity, note: str | None = None) -> Outcome:
        """The holder passes the item, with the story so far, to a named colleague."""
        item_id = self._id(ref)
        with self._acting(who) as (uow, actor, now):
            target = uow.people.resolve(to, now)
            item = load(uow, item_id)
            if target.id == actor.person.id:
                raise Invalid("You cannot hand an item off to yourself.", field="to")
            if item.state is State.CLOSED:
                raise Conflict(f"{item.ref} is closed; reopen it before handing it off.")
            if not can_hand_off(item, actor):
                holder = holder_name(item.claimed.person) if item.claimed else "nobody"
                raise Forbidden(f"Only {holder} or a lead can hand off {item.ref}.")
            holder_id = item.claimed.person.id if item.claimed else None
            if not uow.feedback.hand_off(
                item_id, item.state, holder_id, target.id, to.platform, now
            ):
                raise Conflict(f"{item.ref} changed just now; look again.")
            data = {"to_id": target.id, "to_name": holder_name(target), "note": note or ""}
            return self._record(uow, item_id, EventKind.HANDED_OFF, actor, now, data)

    def close(
        self,
        ref: str,
        who: Identity,
        resolution: str | None = None,
        *,
        notify_customer: bool = False,
    ) -> Outcome:
        item_id = self._id(ref)
        resolution = _plain(resolution or "") or None
        if resolution and len(resolution) > COMMENT_MAX_CHARS:
            raise Invalid(f"A resolution is at most {COMMENT_MAX_CHARS} characters.", "resolution")
        with self._acting(who) as (uow, actor, now):
            person, platform = actor.person.id, actor.platform
            if uow.feedback.close(item_id, person, platform, resolution, notify_customer, now):
                data = {"resolution": resolution or "", "notify_customer": notify_customer}
                return self._record(uow, item_id, EventKind.CLOSED, actor, now, data)
            item = load(uow, item_id)
            closer = holder_name(item.closed.person) if item.closed else "someone"
            raise Conflict(f"{item.ref} is already closed by {closer}.")

    def reopen(self, ref: str, who: Identity) -> Outcome:
        item_id = self._id(ref)
        with self._acting(who) as (uow, actor, now):
            if uow.feedback.reopen(item_id, now):
                return self._record(uow, item_id, EventKind.REOPENED, actor, now)
            item = load(uow, item_id)
            raise Conflict(f"{item.ref} is not closed (it is {item.state.value}).")

    def comment(
        self, ref: str, who: Identity, text: str, *, external_id: str | None = None
    ) -> Outcome:
        """Add to the discussion; the same chat message (external_id) is stored once."""
        text = _plain(text)
        if not text:
            raise Invalid("A comment needs some text.", "text")
        if len(text) > COMMENT_MAX_CHARS:
            raise Invalid(f"A comment is at most {COMMENT_MAX_CHARS} characters.", "text")
        item_id = self._id(ref)
        with self._acting(who) as (uow, actor, now):
            load(uow, item_id)
            uow.feedback.lock(item_id)
            author, platform = actor.person.id, actor.platform
            if not uow.feedback.add_comment(item_id, author, platform, text, now, external_id):
                return self._unchanged(uow, load(uow, item_id))
            data = {"text": text[:500]}
            return self._record(uow, item_id, EventKind.COMMENTED, actor, now, data)

    def link(self, ref: str, who: Identity, url: str) -> Outcome:
        """Link the tracker issue that fixes the item; linking it again changes nothing."""
        issue = issue_at(url)
        item_id = self._id(ref)
        with self._acting(who) as (uow, actor, now):
            load(uow, item_id)
            uow.feedback.lock(item_id)
            if not uow.links.add(item_id, issue.url, issue.short_name, now):
                return self._unchanged(uow, load(uow, item_id))
            data = {"url": issue.url, "tracker": issue.tracker.value}
            return self._record(uow, item_id, EventKind.LINKED, actor, now, data)

    def split(self, ref: str, who: Identity) -> Outcome:
        """ "Not the same problem": a repeat leaves the card it joined and gets its own. Again
        (a retry) changes nothing."""
        item_id = self._id(ref)
        with self._acting(who) as (uow, actor, now):
            item = load(uow, item_id)
            card = item.duplicate_of
            if card is None or not uow.repeats.split(item_id, card):
                return self._unchanged(uow, item)
            data = {"ref": item.ref, "from": ref_for(card)}
            left = self.fanout.log_change(uow, card, EventKind.SPLIT, actor, now, data)
            logged = self.fanout.log_change(uow, item_id, EventKind.SPLIT, actor, now, data)
            self.fanout.post_cards(uow, logged.item, now)
            self.fanout.commit(uow, [left.change, logged.change])
            return Outcome(logged.item, changed=True, cards=logged.cards)

    def merge(self, ref: str, into_ref: str, who: Identity) -> Outcome:
        """Two cards become one: `ref`'s item and its repeats join `into_ref`'s card (each
        keeps its customer, comments and events); `ref`'s card says where they went. Merging
        what is one card already changes nothing."""
        item_id, into_id = self._id(ref), self._id(into_ref)
        with self._acting(who) as (uow, actor, now):
            item, into = load(uow, item_id), load(uow, into_id)
            card, target = item.duplicate_of or item.id, into.duplicate_of or into.id
            if card == target:
                return self._unchanged(uow, item)
            uow.repeats.move(card, target)
            data = {"from": ref_for(card), "into": ref_for(target)}
            gone = self.fanout.log_change(uow, card, EventKind.MERGED, actor, now, data)
            joined = self.fanout.log_change(uow, target, EventKind.MERGED, actor, now, data)
            self.fanout.commit(uow, [gone.change, joined.change])
            return Outcome(joined.item, changed=True, cards=joined.cards)

    def system_note(
        self, item_id: int, kind: EventKind, data: dict[str, Any], once: tuple[str, str]
    ) -> bool:
        """The bot's own event on an item (a nudge, a reminder), recorded once per `once` key
        however many replicas try; False when it was recorded before."""
        with self.db.write() as uow:
            now = self.clock.now()
            if not uow.jobs.claim_run(*once, owner="desk", now=now):
                return False
            bot = uow.people.resolve(THE_BOT, now)
            uow.jobs.finish_run(*once, now=now)
            bot_actor = Actor(bot, Platform.SYSTEM)
            logged = self.fanout.log_change(uow, item_id, kind, bot_actor, now, data)
            self.fanout.commit(uow, [logged.change])
            return True

    def follow_comment_edit(self, platform: Platform, external_id: str, text: str | None) -> bool:
        """A chat message that is a comment was edited (text) or deleted (None)."""
        with self.db.write() as uow:
            item_id = uow.feedback.edit_comment(platform, external_id, text, self.clock.now())
            uow.commit()
            return item_id is not None

    def edit(
        self,
        ref: str,
        who: Identity,
        *,
        severity: Severity | None = None,
        tags: Sequence[str] | None = None,
    ) -> Outcome:
        item_id = self._id(ref)
        cleaned = _tags(tags) if tags is not None else None
        with self._acting(who) as (uow, actor, now):
            item = load(uow, item_id)
            data: dict[str, Any] = {}
            if severity is not None and severity is not item.severity:
                data["severity"] = [item.severity.value, severity.value]
            else:
                severity = None
            if cleaned is not None and tuple(cleaned) != item.tags:
                data["tags"] = [list(item.tags), cleaned]
            else:
                cleaned = None
            if not data:
                return self._unchanged(uow, item)
            if not uow.feedback.edit(item_id, now, severity=severity, tags=cleaned):
                raise NotFound(f"There is no feedback {ref}.")
            return self._record(uow, item_id, EventKind.EDITED, actor, now, data)

    # ---- plumbing -----------------------------------------------------------------------

    @contextmanager
    def _acting(self, who: Identity) -> Iterator[_Acting]:
        """A write transaction with `who` resolved to a person in it, and the time it starts."""
        with self.db.write() as uow:
            now = self.clock.now()
            yield _Acting(uow, Actor(uow.people.resolve(who, now), who.platform), now)

    @staticmethod
    def _id(ref: str) -> int:
        item_id = id_from_ref(ref)
        if item_id is None:
            raise Invalid(f"'{ref}' is not a feedback reference like FB-12.", "ref")
        return item_id

    @staticmethod
    def _unchanged(uow: UnitOfWork, item: Feedback) -> Outcome:
        return Outcome(item, changed=False, cards=shown(uow.cards.for_item(item.id)))

    def _get_by_id(self, item_id: int) -> Feedback:
        with self.db.read() as uow:
            return load(uow, item_id)

    def _record(
        self,
        uow: UnitOfWork,
        item_id: int,
        kind: EventKind,
        actor: Actor,
        now: datetime,
        data: dict[str, Any] | None = None,
    ) -> Outcome:
        logged = self.fanout.log_change(uow, item_id, kind, actor, now, data)
        self.fanout.commit(uow, [logged.change])
        return Outcome(logged.item, changed=True, cards=logged.cards)


def _tags(tags: Sequence[str]) -> list[str]:
    """Tags as an edit stores them, or Invalid saying which rule they break."""
    try:
        cleaned = clean_tags(tags)
    except ValueError as error:
        raise Invalid(str(error), "tags") from None
    if len(cleaned) > TAGS_MAX:
        raise Invalid(f"An item has at most {TAGS_MAX} tags.", "tags")
    return cleaned
