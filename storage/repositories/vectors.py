"""Items' text vectors, one row per item and embedder (see `bot.ports.repositories`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ItemVectorRow
from storage.plans import insert_for
from storage.repositories.sql import table_of

_CHUNK = 5_000


class VectorRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, embedder: str, item_ids: Sequence[int]) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        for start in range(0, len(item_ids), _CHUNK):
            rows = self._session.execute(
                select(ItemVectorRow.feedback_id, ItemVectorRow.vector).where(
                    ItemVectorRow.embedder == embedder,
                    ItemVectorRow.feedback_id.in_(item_ids[start : start + _CHUNK]),
                )
            )
            found.update({int(item_id): bytes(vector) for item_id, vector in rows})
        return found

    def since(self, embedder: str, after_id: int) -> dict[int, bytes]:
        rows = self._session.execute(
            select(ItemVectorRow.feedback_id, ItemVectorRow.vector).where(
                ItemVectorRow.embedder == embedder, ItemVectorRow.feedback_id > after_id
            )
        )
        return {int(item_id): bytes(vector) for item_id, vector in rows}

    def put(self, embedder: str, dimensions: int, vectors: dict[int, bytes], now: datetime) -> None:
        rows = [
            {
                "feedback_id": item_id,
                "embedder": embedder,
                "dimensions": dimensions,
                "vector": vector,
                "created_at": now,
            }
            for item_id, vector in vectors.items()
        ]
        for start in range(0, len(rows), _CHUNK):
            self._session.execute(
                insert_for(self._session, table_of(ItemVectorRow)).on_conflict_do_nothing(
                    index_elements=["feedback_id", "embedder"]
                ),
                rows[start : start + _CHUNK],
            )
