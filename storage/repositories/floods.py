"""Card floods: one row per source, channel and hour, counted by one upsert each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from bot.ports.floods import Flood, FloodKey
from storage.models import CardFloodRow
from storage.plans import insert_for
from storage.repositories.sql import table_of

_FLOOD = CardFloodRow


def _where(key: FloodKey) -> Any:
    return (
        (_FLOOD.source == key.source)
        & (_FLOOD.platform == key.platform.value)
        & (_FLOOD.channel == key.channel)
        & (_FLOOD.hour == key.hour)
    )


def _flood(key: FloodKey, row: Any) -> Flood:
    return Flood(key, row.shown, row.held, row.message_id, row.extra)


class FloodRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def count_card(self, key: FloodKey, threshold: int) -> Flood:
        """INSERT … ON CONFLICT DO UPDATE: the conflicting row is locked while it is counted,
        so two replicas' cards are counted one after the other."""
        table = table_of(_FLOOD)
        statement = insert_for(self._session, table).values(
            source=key.source,
            platform=key.platform.value,
            channel=key.channel,
            hour=key.hour,
            shown=1,
            held=0,
            summary_queued=False,
        )
        full = table.c.shown >= threshold
        statement = statement.on_conflict_do_update(
            index_elements=["source", "platform", "channel", "hour"],
            set_={
                "shown": case((full, table.c.shown), else_=table.c.shown + 1),
                "held": case((full, table.c.held + 1), else_=table.c.held),
            },
        ).returning(table.c.shown, table.c.held, table.c.message_id, table.c.extra)
        return _flood(key, self._session.execute(statement).one())

    def queue_summary(self, key: FloodKey) -> bool:
        result = self._session.execute(
            update(_FLOOD)
            .where(_where(key), _FLOOD.summary_queued.is_(False))
            .values(summary_queued=True)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def take_summary(self, key: FloodKey) -> Flood | None:
        self._session.execute(update(_FLOOD).where(_where(key)).values(summary_queued=False))
        row = self._session.execute(select(_FLOOD).where(_where(key))).scalar_one_or_none()
        return None if row is None else _flood(key, row)

    def summary_posted(self, key: FloodKey, message_id: str, extra: dict[str, Any]) -> None:
        self._session.execute(
            update(_FLOOD).where(_where(key)).values(message_id=message_id, extra=extra)
        )

    def forget_before(self, hour: datetime) -> None:
        self._session.execute(delete(_FLOOD).where(_FLOOD.hour < hour))
