"""The append-only event log: who did what to which item, when, from which platform."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, func, literal, select
from sqlalchemy.orm import Session

from bot.domain import Event, EventKind, Platform
from storage.models import EventRow, FeedbackRow, UtcDateTime
from storage.repositories.people import PeopleRepository
from storage.repositories.sql import insert_returning, table_of


class EventRepository:
    def __init__(self, session: Session, people: PeopleRepository) -> None:
        self._session = session
        self._people = people

    def add(
        self,
        item_id: int,
        kind: EventKind,
        actor_id: int | None,
        platform: Platform,
        at: datetime,
        data: dict[str, Any] | None = None,
    ) -> int:
        row = {
            "feedback_id": item_id,
            "kind": kind.value,
            "actor_id": actor_id,
            "platform": platform.value,
            "at": at,
            "data": data or {},
        }
        event_id = insert_returning(self._session, table_of(EventRow), row, "id")
        assert event_id is not None
        return int(event_id)

    def add_ingested(
        self,
        source: str,
        external_ids: Sequence[str],
        actor_id: int,
        platform: Platform,
        at: datetime,
        data: dict[str, Any],
    ) -> None:
        """An `ingested` event for each of these items that has none yet, in one statement."""
        already = select(EventRow.id).where(
            EventRow.feedback_id == FeedbackRow.id, EventRow.kind == EventKind.INGESTED.value
        )
        chosen = select(
            FeedbackRow.id,
            literal(EventKind.INGESTED.value),
            literal(actor_id),
            literal(platform.value),
            literal(at, UtcDateTime()),
            literal(data, JSON()),
        ).where(
            FeedbackRow.source == source,
            FeedbackRow.external_id.in_(list(external_ids)),
            ~already.exists(),
        )
        self._session.execute(
            table_of(EventRow)
            .insert()
            .from_select(["feedback_id", "kind", "actor_id", "platform", "at", "data"], chosen)
        )

    def get(self, event_id: int) -> Event | None:
        row = self._session.get(EventRow, event_id)
        return self._to_domain(row) if row else None

    def for_item(self, item_id: int) -> list[Event]:
        rows = self._session.scalars(
            select(EventRow).where(EventRow.feedback_id == item_id).order_by(EventRow.id)
        )
        return [self._to_domain(r) for r in rows]

    def items_closed_by(self, actor_id: int, since: datetime) -> int:
        """How many different items this person closed since `since` (a reopen does not undo it)."""
        return int(
            self._session.scalar(
                select(func.count(func.distinct(EventRow.feedback_id))).where(
                    EventRow.actor_id == actor_id,
                    EventRow.kind == EventKind.CLOSED.value,
                    EventRow.at >= since,
                )
            )
            or 0
        )

    def latest(self, item_ids: Sequence[int], kinds: Sequence[EventKind]) -> dict[int, Event]:
        """Each item's most recent event of these kinds."""
        newest = (
            select(func.max(EventRow.id))
            .where(
                EventRow.feedback_id.in_(list(item_ids)),
                EventRow.kind.in_([k.value for k in kinds]),
            )
            .group_by(EventRow.feedback_id)
        )
        rows = self._session.scalars(select(EventRow).where(EventRow.id.in_(newest)))
        return {row.feedback_id: self._to_domain(row) for row in rows}

    def count(self, item_id: int, kind: EventKind) -> int:
        return int(
            self._session.scalar(
                select(func.count()).where(
                    EventRow.feedback_id == item_id, EventRow.kind == kind.value
                )
            )
            or 0
        )

    def _to_domain(self, row: EventRow) -> Event:
        actor = self._people.get(row.actor_id) if row.actor_id is not None else None
        return Event(
            row.id,
            row.feedback_id,
            EventKind(row.kind),
            actor,
            Platform(row.platform),
            row.at,
            row.data,
        )
