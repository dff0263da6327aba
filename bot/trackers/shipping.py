"""A tracker said a linked issue closed (the fix shipped) or opened again: every item linked to
it changes, in one transaction with the delivery's id, so a repeated delivery does nothing.

A shipped fix puts the item in "fixed, awaiting reply" and sends its claimer, and whoever logged
it in chat, one direct message each through the outbox, with a Reply to customer button, so
the customer hears of the fix.
"""

from __future__ import annotations

from datetime import datetime

from bot.delivery.fanout import Logged
from bot.domain import THE_BOT, Actor, Event, EventKind, Feedback, LinkStatus, Person, Platform
from bot.ports.changes import Change
from bot.ports.records import OutboxAction
from bot.ports.store import UnitOfWork
from bot.service import Desk
from bot.trackers.issues import IssueChange

CHAT = (Platform.SLACK, Platform.TEAMS)


class FixShipping:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    def apply(self, tracker: str, delivery_id: str, change: IssueChange) -> list[str] | None:
        """The refs of the items that changed; None when this delivery was applied before."""
        desk = self._desk
        with desk.db.write() as uow:
            now = desk.clock.now()
            once = f"tracker:{tracker}:{delivery_id}"
            if not uow.jobs.first_delivery(Platform.SOURCE, once, now):
                return None
            bot = Actor(uow.people.resolve(THE_BOT, now), Platform.SYSTEM)
            shipped = change.status is LinkStatus.CLOSED
            kind = EventKind.FIX_SHIPPED if shipped else EventKind.FIX_REOPENED
            data = {"url": change.url, "title": change.title}
            linked = uow.links.items_linked(change.url)
            logged_by = uow.events.latest(linked, (EventKind.INGESTED,))
            changes: list[Change] = []
            refs: list[str] = []
            for item_id in linked:
                uow.feedback.lock(item_id)
                if not uow.links.set_status(item_id, change.url, change.title, change.status, now):
                    continue
                logged = desk.fanout.log_change(uow, item_id, kind, bot, now, data)
                if shipped:
                    _tell(uow, logged, logged_by.get(item_id), change, now)
                changes.append(logged.change)
                refs.append(logged.item.ref)
            desk.fanout.commit(uow, changes)
        return refs


def _tell(
    uow: UnitOfWork, logged: Logged, ingested: Event | None, change: IssueChange, now: datetime
) -> None:
    """One direct message to the claimer and one to whoever logged the item in chat."""
    item = logged.item
    people: dict[int, tuple[Person, Platform | None]] = {}
    if item.claimed is not None:
        people[item.claimed.person.id] = (item.claimed.person, item.claimed.platform)
    if ingested is not None and ingested.actor is not None and ingested.platform in CHAT:
        people.setdefault(ingested.actor.id, (ingested.actor, ingested.platform))
    text = fix_shipped_message(item, change)
    for person, used in people.values():
        platform = _reachable_on(uow, person, used)
        if person.email is None or platform is None:
            continue
        payload = {"email": person.email, "text": text, "reply_ref": item.ref}
        channel = f"dm:{person.email}"
        uow.outbox.enqueue(platform, channel, OutboxAction.DIRECT, item.id, payload, now)


def _reachable_on(uow: UnitOfWork, person: Person, used: Platform | None) -> Platform | None:
    """The chat platform to message a person on: the one they used, else one they have."""
    if used in CHAT:
        return used
    return next((i.platform for i in uow.people.identities(person.id) if i.platform in CHAT), None)


def fix_shipped_message(item: Feedback, change: IssueChange) -> str:
    return (
        f"🚀 The fix for {item.ref} shipped: {change.title} ({change.url}). "
        "The customer is waiting to hear; let them know."
    )
