"""Search: the items holding a query's words and those meaning the same, in one ranking.

The database's full-text index ranks items by the query's words (stemmed: "refunds" finds
"refund"); the query's vector ranks the newest items by meaning, from the vectors stored beside
them (computed once, when missing). Reciprocal rank fusion merges the two rankings, so an item
both find comes first and an item either finds alone still counts: a word from the body finds
it, and so does a paraphrase that shares no word with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bot.domain import Feedback
from bot.errors import Invalid
from bot.ports.clock import Clock
from bot.ports.embeddings import Embedder, Vectors
from bot.ports.records import ListFilter
from bot.ports.store import Store
from bot.signal.embedding import default_embedder
from bot.signal.text import STOPWORDS, item_text, words
from bot.signal.vectors import stored_vectors

QUERY_MAX_CHARS = 500
QUERY_MAX_WORDS = 32
RANKED = 200  # a search returns at most its best 200 items, across all its pages
MEANING_POOL = 5_000  # the newest items passing the filters are the ones compared by meaning
MEANING_TOP = 50
# Below this cosine the packaged model's neighbours are unrelated texts (measured on feedback:
# paraphrases score 0.3 to 0.8, unrelated messages up to about 0.2).
MEANING_FLOOR = 0.25
FUSION_K = 60  # the usual constant of reciprocal rank fusion: damps the top ranks' weight

EMPTY_QUERY = "Say what to search for, e.g. `search refund not received`."


def query_words(query: str) -> list[str]:
    """The query's words the full-text index looks for: lower-case, filler words left out
    (unless there is nothing else), split at apostrophes (a quote in PostgreSQL's query
    syntax), each once, in order."""
    found = words(query)
    content = [word for word in found if word not in STOPWORDS] or found
    parts = [part for word in content for part in word.split("'") if part]
    return list(dict.fromkeys(parts))[:QUERY_MAX_WORDS]


def checked(query: str) -> str:
    """The query, stripped; Invalid when there is nothing to search for or far too much."""
    text = query.strip()
    if not text:
        raise Invalid(EMPTY_QUERY, "q")
    if len(text) > QUERY_MAX_CHARS:
        raise Invalid(f"Search for at most {QUERY_MAX_CHARS} characters.", "q")
    return text


def by_meaning(query: Vectors, ids: Sequence[int], vectors: Vectors) -> list[int]:
    """`ids` by cosine to `query` (all unit rows), best first, only those above the floor."""
    similarity = vectors @ query
    best = np.argsort(-similarity, kind="stable")[:MEANING_TOP]
    return [ids[index] for index in best if similarity[index] >= MEANING_FLOOR]


def fuse(rankings: Sequence[Sequence[int]]) -> list[int]:
    """Reciprocal rank fusion: each ranking gives an item 1 / (K + its rank); highest total
    first, the newer item first on a tie."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item_id in enumerate(ranking, start=1):
            scores[item_id] = scores.get(item_id, 0.0) + 1.0 / (FUSION_K + rank)
    return sorted(scores, key=lambda item_id: (-scores[item_id], -item_id))


class Search:
    """Runs a search over the store: blocks on the database (adapters call it in a thread)."""

    def __init__(
        self, db: Store, clock: Clock, embedder: Callable[[], Embedder] = default_embedder
    ) -> None:
        self._db = db
        self._clock = clock
        self._embedder = embedder

    def ranked(self, query: str, where: ListFilter) -> list[int]:
        """Ids of the items passing `where` that match `query`, best first (at most RANKED)."""
        text = checked(query)
        with self._db.read() as uow:
            by_words = uow.search.matching(query_words(text), where, RANKED)
            texts = uow.search.texts(where, MEANING_POOL)
        if not texts:
            return by_words
        embedder = self._embedder()
        ids = list(texts)
        joined_texts = {item_id: item_text(*texts[item_id]) for item_id in ids}
        vectors = stored_vectors(self._db, embedder, joined_texts, self._clock.now())
        meaning = by_meaning(embedder.embed([text])[0], ids, vectors)
        return fuse([by_words, meaning])[:RANKED]

    def page(self, query: str, where: ListFilter, offset: int = 0) -> list[Feedback]:
        """`where.limit` items of the ranking from `offset` on, in rank order."""
        ids = self.ranked(query, where)[offset : offset + where.limit]
        if not ids:
            return []
        with self._db.read() as uow:
            found = {
                item.id: item
                for item in uow.feedback.find(ListFilter(ids=tuple(ids), limit=len(ids)))
            }
        return [found[item_id] for item_id in ids if item_id in found]
