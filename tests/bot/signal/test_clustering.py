"""Themes on real customer messages, the embedders behind them, and wordllama kept offline."""

from __future__ import annotations

import csv
import random
import sys

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from bot.signal.clustering import cluster
from bot.signal.embedding import (
    HashingEmbedder,
    WordLlamaEmbedder,
    default_embedder,
    load_wordllama,
)
from tests.support.realdata import realdata_path

INTENTS = 8


def banking_slice() -> tuple[list[str], list[str]]:
    """Every message of the first `INTENTS` intents of the labelled bank-support set."""
    with realdata_path("feedback", "banking77_test.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    chosen = list(dict.fromkeys(r["category"] for r in rows))[:INTENTS]
    picked = [r for r in rows if r["category"] in chosen]
    return [r["text"] for r in picked], [r["category"] for r in picked]


def random_nmi(intents: list[str], found: list[int]) -> float:
    """The same theme sizes dealt out at random: what a clustering that knows nothing scores."""
    shuffled = list(found)
    random.Random(0).shuffle(shuffled)
    return float(normalized_mutual_info_score(intents, shuffled))


@pytest.mark.parametrize("packaged", [True, False], ids=["packaged-model", "hashing-fallback"])
def test_real_messages_cluster_far_better_than_chance(packaged: bool) -> None:
    texts, intents = banking_slice()
    embedder = load_wordllama() if packaged else HashingEmbedder()

    found = cluster(embedder.embed(texts)).tolist()

    ours = normalized_mutual_info_score(intents, found)
    chance = random_nmi(intents, found)
    assert len(set(found)) > 1
    assert ours > chance + 0.3, (ours, chance)


def test_copies_of_one_text_share_a_theme_and_a_few_texts_stand_alone() -> None:
    embedder = HashingEmbedder()
    texts = ["refund please", "refund please", "app crashes", "dark mode", "refund please"]

    labels = cluster(embedder.embed(texts)).tolist()

    assert labels[0] == labels[1] == labels[4]
    assert len({labels[0], labels[2], labels[3]}) == 3


def test_the_packaged_model_loads_without_the_network(no_internet: None) -> None:
    embedder = load_wordllama()

    vectors = embedder.embed(["my card has not arrived", "where is my new card"])

    assert embedder.name.startswith("wordllama-")
    assert vectors.shape == (2, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1)
    assert float(vectors[0] @ vectors[1]) > 0.5


def test_without_wordllama_the_hashing_fallback_embeds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "wordllama", None)
    default_embedder.cache_clear()
    try:
        embedder = default_embedder()
    finally:
        default_embedder.cache_clear()

    assert isinstance(embedder, HashingEmbedder)
    assert not isinstance(embedder, WordLlamaEmbedder)
    vectors = embedder.embed(["refund my order", "refund the order", "dark mode"])
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
