"""Spike alerts and their copies in chat, and the arrivals spike counting reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain import Platform
from bot.ports.spikes import AlertCopy, Arrival, SpikeAlert
from storage.models import FeedbackRow, SpikeAlertCopyRow, SpikeAlertRow
from storage.plans import insert_for
from storage.repositories.sql import table_of

_ALERT = (
    SpikeAlertRow.id,
    SpikeAlertRow.dimension,
    SpikeAlertRow.key,
    SpikeAlertRow.day,
    SpikeAlertRow.count,
    SpikeAlertRow.usual,
    SpikeAlertRow.threshold,
    SpikeAlertRow.newest_id,
)
_COPY = (
    SpikeAlertCopyRow.id,
    SpikeAlertCopyRow.alert_id,
    SpikeAlertCopyRow.platform,
    SpikeAlertCopyRow.channel,
    SpikeAlertCopyRow.message_id,
    SpikeAlertCopyRow.extra,
    SpikeAlertCopyRow.created_at,
)


def _alert(row: Any) -> SpikeAlert:
    return SpikeAlert(*row)


def _copy(row: Any) -> AlertCopy:
    copy_id, alert_id, platform, channel, message_id, extra, created_at = row
    return AlertCopy(copy_id, alert_id, Platform(platform), channel, message_id, extra, created_at)


class SpikeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def arrivals(self, since: datetime, until: datetime) -> list[Arrival]:
        rows = self._session.execute(
            select(FeedbackRow.id, FeedbackRow.received_at, FeedbackRow.source, FeedbackRow.tags)
            .where(FeedbackRow.received_at >= since, FeedbackRow.received_at < until)
            .order_by(FeedbackRow.id)
        )
        return [Arrival(i, at, source, tuple(tags or ())) for i, at, source, tags in rows]

    def open_alert(self, alert: SpikeAlert, now: datetime) -> int | None:
        row = {
            "dimension": alert.dimension,
            "key": alert.key,
            "day": alert.day,
            "count": alert.count,
            "usual": alert.usual,
            "threshold": alert.threshold,
            "newest_id": alert.newest_id,
            "created_at": now,
            "updated_at": now,
        }
        found = self._session.scalar(
            insert_for(self._session, table_of(SpikeAlertRow))
            .values(**row)
            .on_conflict_do_nothing(index_elements=["dimension", "key", "day"])
            .returning(SpikeAlertRow.id)
        )
        return int(found) if found is not None else None

    def grow(self, alert_id: int, count: int, newest_id: int | None, now: datetime) -> bool:
        raised = self._session.execute(
            update(SpikeAlertRow)
            .where(SpikeAlertRow.id == alert_id, SpikeAlertRow.count < count)
            .values(count=count, newest_id=newest_id, updated_at=now)
        )
        return bool(raised.rowcount)  # type: ignore[attr-defined]

    def alerts_on(self, day: date) -> list[SpikeAlert]:
        rows = self._session.execute(select(*_ALERT).where(SpikeAlertRow.day == day))
        return [_alert(row) for row in rows]

    def alert(self, alert_id: int) -> SpikeAlert | None:
        row = self._session.execute(select(*_ALERT).where(SpikeAlertRow.id == alert_id)).first()
        return _alert(row) if row is not None else None

    def add_copy(self, alert_id: int, platform: Platform, channel: str, now: datetime) -> int:
        row: dict[str, Any] = {
            "alert_id": alert_id,
            "platform": platform.value,
            "channel": channel,
            "message_id": None,
            "extra": {},
            "created_at": now,
        }
        inserted = self._session.scalar(
            insert_for(self._session, table_of(SpikeAlertCopyRow))
            .values(**row)
            .returning(SpikeAlertCopyRow.id)
        )
        return int(inserted)

    def copies(self, alert_id: int) -> list[AlertCopy]:
        rows = self._session.execute(
            select(*_COPY)
            .where(SpikeAlertCopyRow.alert_id == alert_id)
            .order_by(SpikeAlertCopyRow.id)
        )
        return [_copy(row) for row in rows]

    def copy(self, copy_id: int) -> AlertCopy | None:
        found = select(*_COPY).where(SpikeAlertCopyRow.id == copy_id)
        row = self._session.execute(found).first()
        return _copy(row) if row is not None else None

    def mark_posted(self, copy_id: int, message_id: str, extra: dict[str, Any]) -> None:
        self._session.execute(
            update(SpikeAlertCopyRow)
            .where(SpikeAlertCopyRow.id == copy_id)
            .values(message_id=message_id, extra=extra)
        )
