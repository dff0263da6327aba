"""Embedders that run on this machine: a word-embedding model shipped inside its own package
(`wordllama`), and a hashing fallback that needs nothing when that package is missing.

No text leaves the process and nothing is downloaded: the model's weights and tokenizer are
read from the installed package with downloads disabled.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.ports.embeddings import Embedder, Vectors
from bot.signal.text import STOPWORDS, words

log = logging.getLogger(__name__)

HASHED_DIMENSIONS = 256
CHAR_GRAMS = (3, 4)


class HashingEmbedder:
    """Words and character n-grams hashed into a fixed number of signed buckets.

    Lower quality than a trained model (it knows no synonyms), but it needs no package and the
    same text always gets the same vector, so stored vectors stay valid.
    """

    name = f"hashing-{HASHED_DIMENSIONS}-v1"
    dimensions = HASHED_DIMENSIONS

    def embed(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), HASHED_DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature, weight in _features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % HASHED_DIMENSIONS
                out[row, bucket] += weight if digest[4] & 1 else -weight
        return unit_rows(out)


def _features(text: str) -> list[tuple[str, float]]:
    """Content words count fully, their character n-grams (misspellings, plurals) a little."""
    found: list[tuple[str, float]] = []
    for word in words(text):
        if word in STOPWORDS:
            continue
        found.append((f"w:{word}", 1.0))
        padded = f"<{word}>"
        for size in CHAR_GRAMS:
            found += [(f"c:{padded[i : i + size]}", 0.3) for i in range(len(padded) - size + 1)]
    return found


class WordLlamaEmbedder:
    """`wordllama`'s 256-dimension static token embeddings, averaged: fast on a CPU."""

    dimensions = 256

    def __init__(self, model: Any, version: str) -> None:
        self._model = model
        self.name = f"wordllama-{version}-{self.dimensions}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        vectors = self._model.embed(list(texts), norm=False, batch_size=256)
        return unit_rows(np.asarray(vectors, dtype=np.float32))


def load_wordllama() -> WordLlamaEmbedder:
    """The packaged model, offline. Its loader looks for the packaged tokenizer under the wrong
    folder and would then download it; given the package itself as its cache folder, it finds
    both files there, and downloads stay off. Importing it configures the root logger, which
    is undone so this process's own logging stays as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama

    root.handlers[:] = handlers
    root.setLevel(level)
    package = Path(wordllama.__file__).parent
    model = wordllama.WordLlama.load(
        cache_dir=package, dim=WordLlamaEmbedder.dimensions, disable_download=True
    )
    return WordLlamaEmbedder(model, wordllama.__version__)


@cache
def default_embedder() -> Embedder:
    """The packaged model when it loads, else the hashing fallback (said once in the log)."""
    try:
        return load_wordllama()
    except (ImportError, OSError) as error:
        log.warning("embeddings.fallback reason=%s", error)
        return HashingEmbedder()


def unit_rows(rows: npt.NDArray[Any]) -> Vectors:
    """Each row scaled to length 1 (a zero row stays zero), as float32."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)
