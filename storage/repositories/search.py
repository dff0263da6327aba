"""Search's questions about items: which hold the words (FTS5 on SQLite, a tsvector on
PostgreSQL), and the text of those that pass a filter, to compare by meaning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from bot.ports.records import ListFilter
from storage.full_text import DOCUMENT, FTS_TABLE
from storage.models import FeedbackRow
from storage.repositories.digest import BODY_CHARS
from storage.repositories.feedback import passing

_FTS = table(FTS_TABLE, column("rowid"))


class SearchRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def matching(self, words: Sequence[str], where: ListFilter, limit: int) -> list[int]:
        if not words:
            return []
        if self._session.get_bind().dialect.name == "sqlite":
            query = _fts5(words)
        else:
            query = _tsquery(words)
        query = query.where(*passing(where)).limit(limit)
        return [int(item_id) for item_id in self._session.scalars(query)]

    def texts(self, where: ListFilter, limit: int) -> dict[int, tuple[str | None, str]]:
        query = (
            select(FeedbackRow.id, FeedbackRow.title, func.substr(FeedbackRow.body, 1, BODY_CHARS))
            .where(*passing(where))
            .order_by(FeedbackRow.id.desc())
            .limit(limit)
        )
        return {int(i): (title, body) for i, title, body in self._session.execute(query)}


def _fts5(words: Sequence[str]) -> Select[int]:
    """Any of the words, each quoted (so none is read as FTS5 syntax), best by bm25 first."""
    matched: ColumnElement[Any] = literal_column(FTS_TABLE)
    return (
        select(FeedbackRow.id)
        .join(_FTS, _FTS.c.rowid == FeedbackRow.id)
        .where(matched.op("MATCH")(" OR ".join(f'"{word}"' for word in words)))
        .order_by(func.bm25(matched), FeedbackRow.id.desc())
    )


def _tsquery(words: Sequence[str]) -> Select[int]:
    """Any of the words, stemmed as English, best by ts_rank first (the GIN index answers)."""
    document: ColumnElement[Any] = literal_column(DOCUMENT)
    query = func.to_tsquery(literal_column("'english'"), " | ".join(words))
    return (
        select(FeedbackRow.id)
        .where(document.op("@@")(query))
        .order_by(func.ts_rank(document, query).desc(), FeedbackRow.id.desc())
    )
