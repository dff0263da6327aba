"""The outbox: messages written with the change that caused them, sent after it commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from bot.domain import Platform
from bot.ports.records import FailedMessage, OutboxAction, OutboxMessage
from storage.models import OutboxRow
from storage.repositories.sql import insert_row, table_of


def _outside(query: Any, channels: Iterable[tuple[Platform, str]]) -> Any:
    """The outbox `query` without these channels' messages."""
    busy = [(platform.value, channel) for platform, channel in channels]
    if not busy:
        return query
    return query.where(tuple_(OutboxRow.platform, OutboxRow.channel).not_in(busy))


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.enqueued = 0  # in this unit of work, so the sender is woken only when needed

    def enqueue(
        self,
        platform: Platform,
        channel: str,
        action: OutboxAction,
        feedback_id: int | None,
        payload: dict[str, Any],
        now: datetime,
        *,
        priority: int = 0,
    ) -> None:
        self.enqueued += 1
        row = {
            "platform": platform.value,
            "channel": channel,
            "action": action.value,
            "feedback_id": feedback_id,
            "payload": payload,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "failed": False,
            "priority": priority,
        }
        insert_row(self._session, table_of(OutboxRow), row)

    def any_due(
        self,
        platforms: Iterable[Platform],
        now: datetime,
        skip: Iterable[tuple[Platform, str]] = (),
    ) -> bool:
        """Whether a message is due outside the channels in `skip` (they are being sent)."""
        due = (
            select(OutboxRow.id)
            .where(
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed.is_(False),
                OutboxRow.next_attempt_at <= now,
                OutboxRow.platform.in_([p.value for p in platforms]),
            )
            .limit(1)
        )
        return self._session.scalar(_outside(due, skip)) is not None

    def lease_due(
        self,
        platforms: Iterable[Platform],
        now: datetime,
        lease: timedelta,
        limit: int,
        skip: Iterable[tuple[Platform, str]] = (),
    ) -> list[OutboxMessage]:
        """Take due messages for `lease`, each channel from its first pending message on.

        A channel's queue runs highest priority first, then oldest first. A channel is taken
        only by whoever holds its head, and only an unbroken run from there: so a channel whose
        head waits for `Retry-After`, or is held by another replica (rows locked elsewhere are
        skipped on PostgreSQL), keeps its order. Channels in `skip` (the caller is still
        sending them) are left out, so their backlog does not fill `limit`.
        """
        pending = and_(OutboxRow.sent_at.is_(None), OutboxRow.failed.is_(False))
        wanted = [p.value for p in platforms]
        in_line = (OutboxRow.priority.desc(), OutboxRow.id)
        query = (
            select(OutboxRow)
            .where(pending, OutboxRow.next_attempt_at <= now, OutboxRow.platform.in_(wanted))
            .order_by(*in_line)
            .limit(limit)
        )
        query = _outside(query, skip)
        if self._session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        taken = list(self._session.scalars(query))
        if not taken:
            return []
        channels = {(r.platform, r.channel) for r in taken}
        last = taken[-1]
        up_to_last = or_(
            OutboxRow.priority > last.priority,
            and_(OutboxRow.priority == last.priority, OutboxRow.id <= last.id),
        )
        queue: dict[tuple[str, str], list[int]] = {}
        for platform, channel, message_id in self._session.execute(
            select(OutboxRow.platform, OutboxRow.channel, OutboxRow.id)
            .where(pending, OutboxRow.platform.in_(wanted), up_to_last)
            .order_by(*in_line)
        ):
            if (platform, channel) in channels:
                queue.setdefault((platform, channel), []).append(message_id)
        next_in_line = {key: iter(ids) for key, ids in queue.items()}
        broken: set[tuple[str, str]] = set()
        rows = []
        for row in taken:
            key = (row.platform, row.channel)
            if key in broken or next(next_in_line[key], None) != row.id:
                broken.add(key)  # a gap: the rest of this channel waits its turn
                continue
            rows.append(row)
        for row in rows:
            row.next_attempt_at = now + lease
            row.attempts += 1
        return [
            OutboxMessage(
                r.id,
                Platform(r.platform),
                r.channel,
                OutboxAction(r.action),
                r.feedback_id,
                r.payload,
                r.attempts,
                r.priority,
            )
            for r in rows
        ]

    def waiting_ahead(self, platform: Platform, channel: str, priority: int) -> bool:
        ahead = (
            select(OutboxRow.id)
            .where(
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed.is_(False),
                OutboxRow.platform == platform.value,
                OutboxRow.channel == channel,
                OutboxRow.priority > priority,
            )
            .limit(1)
        )
        return self._session.scalar(ahead) is not None

    def mark_sent(self, message_id: int, now: datetime, note_id: str | None = None) -> None:
        values: dict[str, Any] = {"sent_at": now}
        if note_id is not None:
            payload = self._session.scalar(
                select(OutboxRow.payload).where(OutboxRow.id == message_id)
            )
            values["payload"] = {**(payload or {}), "note_id": note_id}
        self._session.execute(update(OutboxRow).where(OutboxRow.id == message_id).values(**values))

    def retry_at(
        self,
        message_ids: Iterable[int],
        when: datetime,
        error: str | None = None,
        *,
        tried: bool = True,
    ) -> None:
        """Due again at `when`. Messages not `tried` (given back unsent, or waiting behind one
        that failed) get their take back, so an outage of the first never wears out the rest."""
        values: dict[str, Any] = {
            "next_attempt_at": when,
            "attempts": OutboxRow.attempts if tried else OutboxRow.attempts - 1,
        }
        if error is not None:
            values["last_error"] = error[:2000]
        self._session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(list(message_ids))).values(**values)
        )

    def give_up(self, message_id: int, error: str) -> None:
        self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id)
            .values(failed=True, last_error=error[:2000])
        )

    def failed(self, platform: Platform) -> list[FailedMessage]:
        rows = self._session.scalars(
            select(OutboxRow)
            .where(OutboxRow.platform == platform.value, OutboxRow.failed.is_(True))
            .order_by(OutboxRow.id)
        )
        return [FailedMessage(r.id, r.channel, r.payload, r.last_error or "") for r in rows]

    def retry_failed(self, message_id: int, now: datetime) -> bool:
        """Queue a given-up message again from its first attempt."""
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.failed.is_(True))
            .values(failed=False, attempts=0, next_attempt_at=now)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def pending(self) -> int:
        return int(
            self._session.scalar(
                select(func.count()).where(OutboxRow.sent_at.is_(None), OutboxRow.failed.is_(False))
            )
            or 0
        )

    def backlog(self) -> tuple[int, datetime | None]:
        """How many messages wait to be sent, and when the oldest of them was written."""
        count, oldest = self._session.execute(
            select(func.count(), func.min(OutboxRow.created_at)).where(
                OutboxRow.sent_at.is_(None), OutboxRow.failed.is_(False)
            )
        ).one()
        return int(count), oldest
