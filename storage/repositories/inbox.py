"""The inbox table: deliveries acknowledged to a platform and not yet handled.

Recording is one multi-row INSERT per batch that ignores ids already present, so duplicates
cost nothing and never fail a batch. Workers lease what is due, oldest first (PostgreSQL skips
rows another replica holds), and mark it done or due again later.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.domain import Platform
from bot.ports.records import InboxDelivery
from storage.models import InboxRow
from storage.plans import insert_rows


class InboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.recorded = 0  # in this unit of work, so other processes' workers are woken

    def record(
        self, deliveries: Sequence[tuple[Platform, str, dict[str, Any]]], now: datetime
    ) -> None:
        """Add each (platform, delivery id, payload) not recorded before."""
        table = cast(Table, InboxRow.__table__)
        rows = [
            {
                "platform": platform.value,
                "delivery_id": delivery_id,
                "payload": payload,
                "received_at": now,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for platform, delivery_id, payload in deliveries
        ]
        insert_rows(self._session, table, rows, ["platform", "delivery_id"])
        self.recorded += len(rows)

    def take(
        self, now: datetime, lease_until: datetime, limit: int, platforms: Sequence[Platform]
    ) -> list[InboxDelivery]:
        """Lease up to `limit` due deliveries from these platforms, oldest first."""
        query = (
            select(InboxRow)
            .where(
                InboxRow.platform.in_([platform.value for platform in platforms]),
                InboxRow.done_at.is_(None),
                InboxRow.next_attempt_at <= now,
                or_(InboxRow.leased_until.is_(None), InboxRow.leased_until < now),
            )
            .order_by(InboxRow.done_at, InboxRow.id)  # all NULL: id order, read off the index
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(self._session.scalars(query))
        for row in rows:
            row.leased_until = lease_until
        return [
            InboxDelivery(row.id, Platform(row.platform), dict(row.payload or {}), row.attempts)
            for row in rows
        ]

    def finish(self, ids: Sequence[int], now: datetime) -> None:
        """Done: keep the ids (retries still find them), drop the payload."""
        self._session.execute(
            update(InboxRow)
            .where(InboxRow.id.in_(ids))
            .values(done_at=now, payload=None, leased_until=None)
        )

    def retry_at(self, delivery_id: int, at: datetime) -> None:
        self._session.execute(
            update(InboxRow)
            .where(InboxRow.id == delivery_id)
            .values(attempts=InboxRow.attempts + 1, next_attempt_at=at, leased_until=None)
        )

    def pending(self) -> int:
        count = select(func.count()).select_from(InboxRow).where(InboxRow.done_at.is_(None))
        return int(self._session.scalar(count) or 0)

    def forget(self, done_before: datetime) -> int:
        """Delete rows handled before `done_before`; how many."""
        result = self._session.execute(delete(InboxRow).where(InboxRow.done_at < done_before))
        return int(result.rowcount)  # type: ignore[attr-defined]
