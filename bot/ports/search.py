"""What search asks of storage: the items holding some words, ranked by the database's own
full-text index, and the text of the items a filter lets through, to compare by meaning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.ports.records import ListFilter


class SearchRepository(Protocol):
    def matching(self, words: Sequence[str], where: ListFilter, limit: int) -> list[int]:
        """Ids of up to `limit` items passing `where` whose title or body holds any of `words`
        (English stems: "refunds" finds "refund"), best match first. `words` are plain words,
        never query syntax."""
        ...

    def texts(self, where: ListFilter, limit: int) -> dict[int, tuple[str | None, str]]:
        """{id: (title, body cut short)} of the newest `limit` items passing `where`."""
        ...
