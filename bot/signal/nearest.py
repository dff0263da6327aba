"""The stored items nearest in meaning to a text: an in-process matrix of every item's vector.

Each replica keeps one matrix of unit vectors read from the store (`VectorRepository`), so a
look-up is one single-threaded matrix-vector product and a partial sort, a few milliseconds
with 100,000 items, and no query.
Before each look-up it reads the vectors stored since (`refresh`); every few minutes it reads
them all again, so one another replica committed out of id order is not missed for long.
Repeats (`bot.signal.repeats`) and search ask it; it knows nothing of items' states.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import numpy.typing as npt

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
        """Put vectors in (replacing an id's earlier one), in bulk: a reload of every stored
        vector holds the lock for a few array copies, not a Python step per row."""
        ids, rows = _last_of_each(item_ids, vectors, self._matrix.shape[1])
        with self._lock:
            at = np.fromiter(map(self._row_of.get, ids.tolist(), repeat(-1)), np.int64, len(ids))
            new = at < 0
            fresh = int(new.sum())
            if fresh:
                at[new] = np.arange(self._size, self._size + fresh)
                self._reserve(fresh)
                self._ids[at[new]] = ids[new]
                self._row_of.update(zip(ids[new].tolist(), at[new].tolist(), strict=True))
                self._size += fresh
            self._matrix[at] = rows

    def nearest(self, vector: Vectors, count: int, floor: float = -1.0) -> list[Hit]:
        """Up to `count` items most like `vector`, most alike first, none below `floor`."""
        with self._lock:
            if not self._size:
                return []
            scores = _scores(self._matrix[: self._size], np.asarray(vector, dtype=np.float32))
            ids = self._ids[: self._size]
        count = min(count, len(scores))
        top = np.argpartition(scores, len(scores) - count)[len(scores) - count :]
        top = top[np.argsort(-scores[top])]
        return [Hit(int(ids[i]), float(scores[i])) for i in top if scores[i] >= floor]

    def vectors_of(self, item_ids: Sequence[int]) -> Vectors:
        """The known vectors of those of `item_ids` in the matrix (others left out)."""
        with self._lock:
            rows = [self._row_of[i] for i in item_ids if i in self._row_of]
            return self._matrix[rows].copy()

    def _reserve(self, extra: int) -> None:
        """Room for `extra` more rows, growing by at least half so appends stay cheap."""
        needed = self._size + extra
        if needed <= len(self._ids):
            return
        capacity = max(needed, len(self._ids) + max(_GROWTH, len(self._ids) // 2))
        ids = np.zeros(capacity, dtype=np.int64)
        ids[: self._size] = self._ids[: self._size]
        matrix = np.zeros((capacity, self._matrix.shape[1]), dtype=np.float32)
        matrix[: self._size] = self._matrix[: self._size]
        self._ids, self._matrix = ids, matrix


def _scores(matrix: Vectors, vector: Vectors) -> Vectors:
    """Every row's dot product with `vector`, on one thread: the product only streams the
    matrix from memory, and a BLAS product split over threads waits for whichever thread the
    busy machine delays (p99 about 3 times worse under load, measured)."""
    scores: Vectors = np.einsum("ij,j->i", matrix, vector)
    return scores


def _last_of_each(
    item_ids: Sequence[int], vectors: Vectors, dimensions: int
) -> tuple[npt.NDArray[np.int64], Vectors]:
    """The ids and float32 rows, an id given twice keeping its last vector."""
    ids = np.asarray(item_ids, dtype=np.int64)
    rows = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), dimensions)
    _, last_from_end = np.unique(ids[::-1], return_index=True)
    if len(last_from_end) == len(ids):
        return ids, rows
    keep = np.sort(len(ids) - 1 - last_from_end)
    return ids[keep], rows[keep]
