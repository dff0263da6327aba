"""Items' vectors from the store, computing and storing only the missing ones.

Vectors are kept beside the items (`VectorRepository`), so each item is embedded once, by
whichever process needs it first, and every replica and every restart reads the same vector.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from bot.ports.embeddings import Embedder, Vectors
from bot.ports.records import ThemeRow
from bot.ports.store import Store
from bot.signal.text import text_of


def item_vectors(db: Store, embedder: Embedder, rows: Sequence[ThemeRow], now: datetime) -> Vectors:
    """One unit-length row per item of `rows`, in order."""
    return stored_vectors(db, embedder, {row.feedback_id: text_of(row) for row in rows}, now)


def stored_vectors(
    db: Store, embedder: Embedder, texts: Mapping[int, str], now: datetime
) -> Vectors:
    """One unit-length row per item of `texts` ({id: its text}), in the mapping's order."""
    ids = list(texts)
    with db.read() as uow:
        stored = uow.vectors.get(embedder.name, ids)
    missing = [item_id for item_id in ids if item_id not in stored]
    if missing:
        computed = embedder.embed([texts[item_id] for item_id in missing])
        fresh = {
            item_id: vector.tobytes() for item_id, vector in zip(missing, computed, strict=True)
        }
        with db.write() as uow:
            uow.vectors.put(embedder.name, embedder.dimensions, fresh, now)
            uow.commit()
        stored |= fresh
    out = np.empty((len(ids), embedder.dimensions), dtype=np.float32)
    for index, item_id in enumerate(ids):
        out[index] = np.frombuffer(stored[item_id], dtype=np.float32)
    return out
