"""The look-up at ingest returns exactly what a plain full sort of every score returns."""

from __future__ import annotations

import numpy as np

from bot.signal.embedding import unit_rows
from bot.signal.nearest import NearestItems

DIMENSIONS = 16


class _Named:
    name = "test"
    dimensions = DIMENSIONS

    def embed(self, texts: object) -> np.ndarray:
        raise NotImplementedError


def _random_rows(rng: np.random.Generator, count: int) -> np.ndarray:
    return unit_rows(rng.standard_normal((count, DIMENSIONS)))


def test_top_hits_match_a_full_sort_on_random_data() -> None:
    rng = np.random.default_rng(7)
    ids = rng.permutation(np.arange(1, 3_001))  # stored out of id order
    rows = _random_rows(rng, len(ids))
    nearest = NearestItems(_Named())
    nearest.add(ids[:1_000].tolist(), rows[:1_000])  # in two batches, as refreshes come
    nearest.add(ids[1_000:].tolist(), rows[1_000:])
    for query in _random_rows(rng, 20):
        scores = rows @ query
        order = np.argsort(-scores, kind="stable")[:8]
        hits = nearest.nearest(query, 8)
        assert [hit.item_id for hit in hits] == ids[order].tolist()
        assert np.allclose([hit.similarity for hit in hits], scores[order])
        floor = float(scores[order[3]] + scores[order[4]]) / 2  # between the 4th and 5th
        assert [hit.item_id for hit in nearest.nearest(query, 8, floor=floor)] == ids[
            order[:4]
        ].tolist()


def test_a_vector_given_again_replaces_the_earlier_one() -> None:
    rng = np.random.default_rng(8)
    first, second, third = _random_rows(rng, 3)
    nearest = NearestItems(_Named())
    nearest.add([5, 6], np.stack([first, second]))
    nearest.add([6, 7, 7], np.stack([first, second, third]))  # 7 twice: the last one counts
    assert np.array_equal(nearest.vectors_of([7, 6, 99, 5]), np.stack([third, first, first]))
    assert nearest.nearest(third, 3)[0].item_id == 7
    assert len(nearest.nearest(third, 10)) == 3
