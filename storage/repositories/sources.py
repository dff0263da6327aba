"""Sources, the deliveries they made (kept raw), and the keys their conversations go by."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from bot.ports.records import PollState, RawDelivery, StoredSource
from storage.models import (
    FeedbackRow,
    SourceDeliveryRow,
    SourcePollRow,
    SourceRow,
    SourceThreadRow,
)
from storage.plans import insert_for
from storage.repositories.sql import insert_returning, table_of

_DELIVERIES = table_of(SourceDeliveryRow)


class SourceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, source: StoredSource) -> bool:
        inserted = self._session.scalar(
            insert_for(self._session, table_of(SourceRow))
            .values(
                name=source.name,
                kind=source.kind,
                sealed_secret=source.sealed_secret,
                sealed_credentials=source.sealed_credentials,
                options=source.options,
                created_at=source.created_at,
            )
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(SourceRow.name)
        )
        return inserted is not None

    def get(self, name: str) -> StoredSource | None:
        row = self._session.get(SourceRow, name)
        return _stored(row) if row else None

    def all(self) -> list[StoredSource]:
        return [_stored(row) for row in self._session.scalars(select(SourceRow).order_by("name"))]

    def remove(self, name: str) -> bool:
        self._session.execute(delete(SourcePollRow).where(SourcePollRow.source == name))
        result = self._session.execute(delete(SourceRow).where(SourceRow.name == name))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def record(
        self,
        source: str,
        event_id: str,
        content_type: str,
        headers: dict[str, str],
        body: bytes,
        status: str,
        error: str | None,
        now: datetime,
    ) -> int | None:
        row = {
            "source": source,
            "event_id": event_id[:300],
            "received_at": now,
            "content_type": content_type[:200],
            "headers": headers,
            "body": body,
            "status": status,
            "error": error,
        }
        # compiled once: every delivery a vendor posts runs it, in the answer's transaction
        found = insert_returning(self._session, _DELIVERIES, row, "id", ["source", "event_id"])
        return int(found) if found is not None else None

    def delivery(self, delivery_id: int) -> RawDelivery | None:
        return self.deliveries([delivery_id])[0]

    def deliveries(self, delivery_ids: Sequence[int]) -> list[RawDelivery | None]:
        rows = self._session.execute(
            select(*_DELIVERIES.c).where(_DELIVERIES.c.id.in_(list(delivery_ids)))
        )
        found = {
            row.id: RawDelivery(
                row.id,
                row.source,
                row.event_id,
                row.received_at,
                row.content_type,
                dict(row.headers),
                bytes(row.body),
                row.status,
                row.error,
            )
            for row in rows
        }
        return [found.get(delivery_id) for delivery_id in delivery_ids]

    def mark(self, delivery_id: int, status: str, error: str | None) -> None:
        self.mark_each([(delivery_id, status, error)])

    def mark_each(self, outcomes: Sequence[tuple[int, str, str | None]]) -> None:
        """One statement run for all the rows (the ORM would check its identity map per row)."""
        if not outcomes:
            return
        statement = (
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id == bindparam("delivery_id"))
            .values(status=bindparam("new_status"), error=bindparam("new_error"))
        )
        self._session.connection().execute(
            statement,
            [{"delivery_id": i, "new_status": s, "new_error": e} for i, s, e in outcomes],
        )

    def remember_keys(self, source: str, keys: Sequence[str], item_id: int) -> None:
        rows = [{"source": source, "key": key[:300], "feedback_id": item_id} for key in keys]
        if rows:
            self._session.execute(
                insert_for(self._session, table_of(SourceThreadRow))
                .values(rows)
                .on_conflict_do_nothing(index_elements=["source", "key"])
            )

    def item_for_keys(self, source: str, keys: Sequence[str]) -> int | None:
        if not keys:
            return None
        wanted = [key[:300] for key in keys]
        found: dict[str, int] = {}
        for external_id, item_id in self._session.execute(
            select(FeedbackRow.external_id, FeedbackRow.id).where(
                FeedbackRow.source == source, FeedbackRow.external_id.in_(wanted)
            )
        ):
            found.setdefault(str(external_id), item_id)
        for key, item_id in self._session.execute(
            select(SourceThreadRow.key, SourceThreadRow.feedback_id).where(
                SourceThreadRow.source == source, SourceThreadRow.key.in_(wanted)
            )
        ):
            found.setdefault(key, item_id)
        return next((found[key] for key in wanted if key in found), None)

    def poll_state(self, source: str) -> PollState | None:
        row = self._session.get(SourcePollRow, source)
        return PollState(row.reached, row.polled_at, row.error) if row else None

    def save_poll(
        self, source: str, reached: datetime | None, polled_at: datetime, error: str | None
    ) -> None:
        known = self.poll_state(source)
        if known and known.reached and (reached is None or reached < known.reached):
            reached = known.reached
        values = {"reached": reached, "polled_at": polled_at, "error": error}
        self._session.execute(
            insert_for(self._session, table_of(SourcePollRow))
            .values(source=source, **values)
            .on_conflict_do_update(index_elements=["source"], set_=values)
        )


def _stored(row: SourceRow) -> StoredSource:
    return StoredSource(
        row.name,
        row.kind,
        row.sealed_secret,
        row.sealed_credentials,
        dict(row.options),
        row.created_at,
    )
