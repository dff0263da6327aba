"""Removing customers' words from what is stored and from every chat copy: the one machinery
retention (text past its time) and erasure (one person's, on request) share.

A batch of items is scrubbed in one transaction with the card updates that show it, so a crash
leaves either the old words everywhere or the new ones queued for every copy; the outbox then
re-renders each posted card from the scrubbed item (persist first, send after).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from bot.ports.records import OutboxAction
from bot.ports.store import UnitOfWork

ERASED = "(erased at the customer's request)"
EXPIRED = "(removed: kept longer than the retention period)"
MARKERS = (ERASED, EXPIRED)
BATCH = 50  # items per transaction: small enough to keep each one short


def scrub_items(
    uow: UnitOfWork, item_ids: Sequence[int], marker: str, now: datetime
) -> Counter[str]:
    """The items' words replaced by `marker`, their customer fields dropped, and every posted
    card of theirs queued to show it; counts per kind."""
    counts = uow.personal_data.scrub(item_ids, marker, now)
    counts["chat_copies"] += refresh_cards(uow, item_ids, now)
    for note in uow.personal_data.posted_notes(item_ids):
        payload = {"card_id": note.card_id, "note_id": note.note_id, "text": marker}
        uow.outbox.enqueue(
            note.platform, note.channel, OutboxAction.REDACT_NOTE, note.feedback_id, payload, now
        )
        counts["thread_notes"] += 1
    return counts


def refresh_cards(uow: UnitOfWork, item_ids: Sequence[int], now: datetime) -> int:
    """Queue an update of every posted copy of the items' cards; a copy still to be posted
    renders the item as it is by then anyway (and so does a thread note still to be sent)."""
    queued = 0
    for item_id in item_ids:
        for copy in uow.cards.for_item(item_id):
            if copy.message_id is None:
                continue
            payload = {"card_id": copy.id}
            uow.outbox.enqueue(
                copy.platform, copy.channel, OutboxAction.UPDATE_CARD, item_id, payload, now
            )
            queued += 1
    return queued
