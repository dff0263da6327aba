"""Repeats on real customer messages, and how fast the look-up at ingest is.

Precision and recall: the 3,080 bank-support questions of
`../shared/realdata/feedback/banking77_test.csv` arrive one by one; each joins a card when the
rule of `bot.signal.repeats` says so (alike to every item already on the card, at the
embedder's threshold), else starts its own. Precision is the share of items attached as
repeats whose card's first item carries the same intent label; recall is the share of items
whose intent had been seen before that were attached to a card of their intent. The labels
are used only to score. Each embedder's chosen threshold is shown beside a few others.

Look-up: `NearestItems` holding 100,000 stored items (the messages' vectors with noise, unit
length), one new vector at a time; median and p99 against the bare matrix-vector product
of the same matrix, in the same run. Target: precision >= 0.95 with the packaged model; p99 < 10 ms.

Run: python -m benchmarks.duplicates [--lookup]   (--lookup: only the look-up)
"""

from __future__ import annotations

import sys
import time

import numpy as np

from benchmarks.themes import corpus
from bot.ports.embeddings import Embedder, Vectors
from bot.signal.embedding import HashingEmbedder, default_embedder, unit_rows
from bot.signal.nearest import NearestItems
from bot.signal.repeats import CANDIDATES, like_every_one, threshold_for

TARGET_PRECISION = 0.95
TARGET_P99_MS = 10.0
STORED = 100_000
LOOKUPS = 2_000


def attach_in_order(vectors: Vectors, threshold: float) -> list[int]:
    """Each message's card (the index of the card's first message), as ingest would pick it."""
    nearest = NearestItems(_Named(vectors.shape[1]))
    card_of: list[int] = []
    members: dict[int, list[int]] = {}
    for index, vector in enumerate(vectors):
        card = index
        for hit in nearest.nearest(vector, CANDIDATES, floor=threshold):
            candidate = card_of[hit.item_id]
            if like_every_one(vectors[members[candidate]], vector, threshold):
                card = candidate
                break
        card_of.append(card)
        members.setdefault(card, []).append(index)
        nearest.add([index], vector.reshape(1, -1))
    return card_of


def scores(card_of: list[int], intents: list[str]) -> tuple[int, float, float]:
    attached = [i for i, card in enumerate(card_of) if card != i]
    right = sum(intents[i] == intents[card_of[i]] for i in attached)
    seen: set[str] = set()
    possible = 0
    for intent in intents:
        possible += intent in seen
        seen.add(intent)
    return len(attached), right / max(len(attached), 1), right / max(possible, 1)


def lookup_times(vectors: Vectors) -> tuple[float, float, float, float]:
    """Median and p99 milliseconds of one look-up among `STORED` items: ours, then the bare
    matrix-vector product of the same matrix."""
    rng = np.random.default_rng(0)
    picked = vectors[rng.integers(0, len(vectors), STORED)]
    stored = unit_rows(picked + 0.05 * rng.standard_normal(picked.shape))
    nearest = NearestItems(_Named(vectors.shape[1]))
    nearest.add(list(range(STORED)), stored)
    ours, bare = [], []
    for query in vectors[rng.integers(0, len(vectors), LOOKUPS)]:
        started = time.perf_counter()
        nearest.nearest(query, CANDIDATES)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        np.argmax(stored @ query)
        bare.append(time.perf_counter() - started)
    return _ms(ours, 50), _ms(ours, 99), _ms(bare, 50), _ms(bare, 99)


def _ms(seconds: list[float], percentile: int) -> float:
    return float(np.percentile(seconds, percentile)) * 1e3


class _Named:
    """A stand-in embedder: the look-up only needs a name and the dimensions."""

    name = "benchmark"

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions

    def embed(self, texts: object) -> Vectors:
        raise NotImplementedError


def main(argv: list[str]) -> None:
    texts, intents = corpus()
    model: Embedder = default_embedder()
    print(f"{len(texts):,} real messages, {len(set(intents))} intents")
    for embedder in () if "--lookup" in argv else (model, HashingEmbedder()):
        vectors = embedder.embed(texts)
        chosen = threshold_for(embedder.name)
        for threshold in sorted({chosen, 0.88, 0.90, 0.94, 0.97}):
            attached, precision, recall = scores(attach_in_order(vectors, threshold), intents)
            mark = " (chosen)" if threshold == chosen else ""
            print(
                f"{embedder.name:<28} threshold {threshold:.2f}{mark:<9} attached {attached:>4}  "
                f"precision {precision:.3f}  recall {recall:.3f}"
            )
    vectors = model.embed(texts)
    _, precision, _ = scores(attach_in_order(vectors, threshold_for(model.name)), intents)
    median, ours, bare_median, bare = lookup_times(vectors)
    print(
        f"look-up among {STORED:,} items: median {median:.2f} ms, p99 {ours:.2f} ms; "
        f"bare matrix product median {bare_median:.2f} ms, p99 {bare:.2f} ms"
    )
    met = precision >= TARGET_PRECISION and ours < TARGET_P99_MS
    print(
        f"target (precision >= {TARGET_PRECISION}, p99 < {TARGET_P99_MS:g} ms): "
        f"{'met' if met else 'MISSED'}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
