"""Whether a new item says what an earlier one says, and so joins that item's card.

A wrong merge hides a customer, so the rule is strict: the new item must be at least
`threshold` alike to the card's own item and to every repeat already on it (not only to its
nearest one, which would let a card drift from one problem to the next), and the card must be
open, or closed no more than `WINDOW` ago. Thresholds were chosen on 3,080 real bank-support
messages (`python -m benchmarks duplicates`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from bot.domain import State
from bot.ports.embeddings import Embedder, Vectors
from bot.ports.repeats import Standing
from bot.ports.store import UnitOfWork
from bot.signal.nearest import NearestItems

WINDOW = timedelta(days=14)
CANDIDATES = 8
SIMILAR_SHOWN = 3
SIMILAR_FLOOR = 0.85  # looser than a repeat: a card names these, it does not merge them
THRESHOLDS = {"wordllama": 0.92, "hashing": 0.97}


def threshold_for(embedder_name: str) -> float:
    """How alike two texts must be under this embedder to count as the same report."""
    family = embedder_name.split("-", 1)[0]
    return THRESHOLDS.get(family, max(THRESHOLDS.values()))


def like_every_one(members: Vectors, vector: Vectors, threshold: float) -> bool:
    """The new vector is at least `threshold` alike to every vector already on the card."""
    return bool(len(members)) and float((members @ vector).min()) >= threshold


def takes_repeats(standing: Standing, now: datetime) -> bool:
    """A card takes repeats while open or claimed, and for `WINDOW` after it was closed."""
    if standing.state is not State.CLOSED:
        return True
    return standing.closed_at is not None and now - standing.closed_at <= WINDOW


class Repeats:
    """Each item's vector stored at ingest, and the card (if any) a new item repeats."""

    def __init__(self, embedder: Embedder, nearest: NearestItems | None = None) -> None:
        self.embedder = embedder
        self.nearest = nearest or NearestItems(embedder)
        self.threshold = threshold_for(embedder.name)

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self.embedder.embed(texts)

    def card_for(self, uow: UnitOfWork, vector: Vectors, now: datetime) -> int | None:
        """The item whose card the text of `vector` repeats, or None."""
        hits = self.nearest.nearest(vector, CANDIDATES, floor=self.threshold)
        if not hits:
            return None
        near = uow.repeats.standing([hit.item_id for hit in hits])
        on_show = [near[hit.item_id] for hit in hits if hit.item_id in near]  # most alike first
        cards = list(dict.fromkeys(s.duplicate_of or s.item_id for s in on_show))
        standing = near | uow.repeats.standing([c for c in cards if c not in near])
        for card in cards:
            if card not in standing or not takes_repeats(standing[card], now):
                continue
            members = self.nearest.vectors_of(uow.repeats.members(card))
            if like_every_one(members, vector, self.threshold):
                return card
        return None

    def similar(self, uow: UnitOfWork, item_id: int) -> list[int]:
        """Up to `SIMILAR_SHOWN` other cards most like this item's (its own repeats left out),
        most alike first."""
        mine = self.nearest.vectors_of([item_id])
        if not len(mine):
            return []
        hits = self.nearest.nearest(mine[0], CANDIDATES * 2, floor=SIMILAR_FLOOR)
        near = uow.repeats.standing([hit.item_id for hit in hits] + [item_id])
        own_card = near[item_id].duplicate_of or item_id if item_id in near else item_id
        cards = [
            card
            for hit in hits
            if hit.item_id in near
            and (card := near[hit.item_id].duplicate_of or hit.item_id) != own_card
        ]
        return list(dict.fromkeys(cards))[:SIMILAR_SHOWN]

    def remember(self, uow: UnitOfWork, item_id: int, vector: Vectors, now: datetime) -> None:
        """Store the item's vector (themes and search read it too) and look-ups see it at once."""
        blob = np.asarray(vector, dtype=np.float32).tobytes()
        uow.vectors.put(self.embedder.name, self.embedder.dimensions, {item_id: blob}, now)
        self.nearest.add([item_id], vector.reshape(1, -1))
