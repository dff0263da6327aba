"""The stored items nearest in meaning to a text: an in-process matrix of every item's vector.

Each replica keeps one matrix of unit vectors read from the store (`VectorRepository`), so a
look-up is one matrix-vector product, a few milliseconds with 100,000 items, and no query.
Before each look-up it reads the vectors stored since (`refresh`); every few minutes it reads
them all again, so one another replica committed out of id order is not missed for long.
Repeats (`bot.signal.repeats`) and search ask it; it knows nothing of items' states.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.ports.embeddings import Embedder, Vectors
from bot.ports.store import UnitOfWork

RELOAD_SECONDS = 300.0
_GROWTH = 1_024


@dataclass(frozen=True, slots=True)
class Hit:
    item_id: int
    similarity: float


class NearestItems:
    """Items' vectors under one embedder, by item id; thread-safe."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._lock = threading.Lock()
        self._ids = np.zeros(0, dtype=np.int64)
        self._matrix = np.zeros((0, embedder.dimensions), dtype=np.float32)
        self._size = 0
        self._row_of: dict[int, int] = {}
        self._read_up_to = 0  # the highest item id read from the store
        self._loaded_at: float | None = None

    def refresh(self, uow: UnitOfWork) -> None:
        """Read the vectors stored since the last read (all of them every `RELOAD_SECONDS`)."""
        clock_seconds = time.monotonic()
        stale = self._loaded_at is None or clock_seconds - self._loaded_at > RELOAD_SECONDS
        after = 0 if stale else self._read_up_to
        found = uow.vectors.since(self.embedder.name, after)
        if stale:
            self._loaded_at = clock_seconds
        if found:
            ids = sorted(found)
            rows = np.frombuffer(b"".join(found[i] for i in ids), dtype=np.float32)
            self.add(ids, rows.reshape(len(ids), self.embedder.dimensions))
            self._read_up_to = max(self._read_up_to, ids[-1])

    def add(self, item_ids: Sequence[int], vectors: Vectors) -> None:
        """Put vectors in (replacing an id's earlier one)."""
        with self._lock:
            for item_id, vector in zip(item_ids, vectors, strict=True):
                row = self._row_of.get(item_id)
                if row is None:
                    row = self._append_row()
                    self._row_of[item_id] = row
                    self._ids[row] = item_id
                self._matrix[row] = vector

    def nearest(self, vector: Vectors, count: int, floor: float = -1.0) -> list[Hit]:
        """Up to `count` items most like `vector`, most alike first, none below `floor`."""
        with self._lock:
            if not self._size:
                return []
            scores = self._matrix[: self._size] @ vector
            ids = self._ids[: self._size]
        count = min(count, len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.argsort(-scores[top])]
        return [Hit(int(ids[i]), float(scores[i])) for i in top if scores[i] >= floor]

    def vectors_of(self, item_ids: Sequence[int]) -> Vectors:
        """The known vectors of those of `item_ids` in the matrix (others left out)."""
        with self._lock:
            rows = [self._row_of[i] for i in item_ids if i in self._row_of]
            return self._matrix[rows].copy()

    def _append_row(self) -> int:
        if self._size == len(self._ids):
            grow = max(_GROWTH, len(self._ids))
            self._ids = np.concatenate([self._ids, np.zeros(grow, dtype=np.int64)])
            extra = np.zeros((grow, self._matrix.shape[1]), dtype=np.float32)
            self._matrix = np.concatenate([self._matrix, extra])
        self._size += 1
        return self._size - 1
