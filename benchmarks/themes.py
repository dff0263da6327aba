"""Themes on real customer messages: 3,080 bank-support questions in 77 labelled intents.

`../shared/realdata/feedback/banking77_test.csv`, read from there. Ours is what `allhands
themes` and the digest run on a period's items: the packaged embedding model (or its hashing
fallback when `wordllama` is missing) and spectral clustering that chooses the number of
themes itself (`bot.signal.clustering`). The labels are used only to score: normalised mutual
information (NMI) and adjusted Rand index (ARI) against them. The baseline, in the same run,
is TF-IDF + k-means given the number of themes ours chose; the hashing fallback is scored too.

Targets: NMI >= 0.80, under 60 s; 100,000 items (the 3,080 repeated, each copy missing one
word at random, so no two copies are alike) in under 10 minutes (`--large`).

Run: python -m benchmarks.themes [--large]
"""

from __future__ import annotations

import csv
import random
import sys
import time

from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from bot.ports.embeddings import Embedder
from bot.signal.clustering import cluster
from bot.signal.embedding import HashingEmbedder, default_embedder
from tests.support.realdata import REALDATA

CORPUS = REALDATA / "feedback" / "banking77_test.csv"
LARGE = 100_000
TARGET_NMI = 0.80
TARGET_SECONDS = 60.0
TARGET_LARGE_SECONDS = 600.0


def corpus() -> tuple[list[str], list[str]]:
    if not CORPUS.exists():
        sys.exit(f"no {CORPUS} (set ALLHANDS_REALDATA)")
    with CORPUS.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r["category"] for r in rows]


def themes_of(texts: list[str], embedder: Embedder) -> tuple[list[int], float]:
    started = time.perf_counter()
    labels = cluster(embedder.embed(texts))
    return labels.tolist(), time.perf_counter() - started


def baseline(texts: list[str], count: int) -> tuple[list[int], float]:
    started = time.perf_counter()
    features = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    labels = KMeans(count, n_init=3, random_state=0).fit_predict(features)
    return labels.tolist(), time.perf_counter() - started


def perturbed(texts: list[str], total: int) -> list[str]:
    """`total` texts: the originals, then copies each missing one word picked at random."""
    chance = random.Random(0)
    out = list(texts)
    while len(out) < total:
        words = texts[len(out) % len(texts)].split()
        if len(words) > 1:
            del words[chance.randrange(len(words))]
        out.append(" ".join(words))
    return out


def main(argv: list[str]) -> None:
    texts, intents = corpus()
    embedder = default_embedder()
    embedder.embed(texts[:10])  # warm up: the model loaded once, as a long-running process has it
    ours, ours_seconds = themes_of(texts, embedder)
    chosen = len(set(ours))
    base, base_seconds = baseline(texts, chosen)
    fallback, fallback_seconds = themes_of(texts, HashingEmbedder())
    print(f"{len(texts):,} real messages, {len(set(intents))} intents; embedder {embedder.name}")
    for name, found, seconds in (
        ("ours (chose the count)", ours, ours_seconds),
        ("TF-IDF + k-means, same count", base, base_seconds),
        ("hashing fallback (chose)", fallback, fallback_seconds),
    ):
        nmi = normalized_mutual_info_score(intents, found)
        ari = adjusted_rand_score(intents, found)
        print(
            f"{name:<30} themes {len(set(found)):>4}  NMI {nmi:.3f}  ARI {ari:.3f}  {seconds:6.1f} s"
        )
    nmi = normalized_mutual_info_score(intents, ours)
    met = nmi >= TARGET_NMI and ours_seconds < TARGET_SECONDS
    print(f"target (NMI >= {TARGET_NMI}, < {TARGET_SECONDS:g} s): {'met' if met else 'MISSED'}")
    if "--large" in argv:
        many = perturbed(texts, LARGE)
        found, seconds = themes_of(many, embedder)
        repeated = [intents[n % len(intents)] for n in range(LARGE)]
        nmi = normalized_mutual_info_score(repeated, found)
        verdict = "met" if seconds < TARGET_LARGE_SECONDS else "MISSED"
        print(
            f"{LARGE:,} items (perturbed copies): themes {len(set(found))}  NMI {nmi:.3f}  "
            f"{seconds:.1f} s; target (< {TARGET_LARGE_SECONDS:g} s): {verdict}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
