"""A customer's text found and removed wherever it is kept (see `bot.ports.privacy`): the items,
their comments, the words in their events and replies, text vectors, webhook copies waiting in
the outbox, and the raw source deliveries."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.domain import Platform
from bot.ports.privacy import PostedNote, SentReply
from bot.ports.records import OutboxAction
from storage.models import (
    CommentRow,
    EventRow,
    FeedbackRow,
    ItemVectorRow,
    OutboxRow,
    ReplyRow,
    SourceDeliveryRow,
)

# What an event's data says in someone's words (a comment, a resolution, a hand-off's note, a
# mail server's refusal); every other field is a count, a state, an id or a name of ours.
_WORDS = frozenset({"text", "resolution", "note", "error", "reason", "title", "body"})
_DELIVERIES_PER_READ = 200


def _rows(result: Any) -> int:
    return int(result.rowcount)


def _without_words(data: dict[str, Any], marker: str) -> dict[str, Any]:
    return {
        key: marker if key in _WORDS and isinstance(value, str) and value else value
        for key, value in data.items()
    }


def _replaced(value: Any, pattern: re.Pattern[str], marker: str) -> Any:
    """`value` (JSON) with every match of `pattern` in its strings replaced by `marker`."""
    if isinstance(value, str):
        return pattern.sub(marker, value)
    if isinstance(value, list):
        return [_replaced(v, pattern, marker) for v in value]
    if isinstance(value, dict):
        return {k: _replaced(v, pattern, marker) for k, v in value.items()}
    return value


class PersonalDataRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def items_of(self, email: str, limit: int) -> list[int]:
        return list(
            self._session.scalars(
                select(FeedbackRow.id)
                .where(func.lower(FeedbackRow.customer_email) == email.lower())
                .order_by(FeedbackRow.id)
                .limit(limit)
            )
        )

    def names(self, email: str) -> bool:
        if self.items_of(email, 1):
            return True
        needle = f"%{email.lower()}%"
        for column in (
            FeedbackRow.body,
            FeedbackRow.title,
            FeedbackRow.resolution,
            CommentRow.text,
            ReplyRow.text,
            ReplyRow.recipient,
            cast(EventRow.data, Text),
        ):
            if self._session.scalar(select(1).where(func.lower(column).like(needle)).limit(1)):
                return True
        return bool(self._deliveries_holding(email, first_only=True))

    def items_before(self, cutoff: datetime, markers: Sequence[str], limit: int) -> list[int]:
        return list(
            self._session.scalars(
                select(FeedbackRow.id)
                .where(FeedbackRow.received_at < cutoff, FeedbackRow.body.not_in(list(markers)))
                .order_by(FeedbackRow.received_at, FeedbackRow.id)
                .limit(limit)
            )
        )

    def scrub(self, item_ids: Sequence[int], marker: str, now: datetime) -> Counter[str]:
        ids = list(item_ids)
        counts: Counter[str] = Counter()
        if not ids:
            return counts
        counts["items"] = _rows(
            self._session.execute(
                update(FeedbackRow)
                .where(FeedbackRow.id.in_(ids))
                .values(
                    body=marker,
                    title=None,
                    url=None,
                    resolution=None,
                    customer_name=None,
                    customer_email=None,
                    customer_company=None,
                    customer_tier=None,
                    updated_at=now,
                    version=FeedbackRow.version + 1,
                )
            )
        )
        counts["comments"] = _rows(
            self._session.execute(
                update(CommentRow)
                .where(CommentRow.feedback_id.in_(ids), CommentRow.text != marker)
                .values(text=marker)
            )
        )
        for event in self._session.scalars(select(EventRow).where(EventRow.feedback_id.in_(ids))):
            cleaned = _without_words(event.data, marker)
            if cleaned != event.data:
                event.data = cleaned
                counts["events"] += 1
        counts["replies"] = _rows(
            self._session.execute(
                update(ReplyRow)
                .where(ReplyRow.feedback_id.in_(ids), ReplyRow.text != marker)
                .values(text=marker, subject=marker, recipient="")
            )
        )
        counts["vectors"] = _rows(
            self._session.execute(delete(ItemVectorRow).where(ItemVectorRow.feedback_id.in_(ids)))
        )
        counts["webhook_copies"] = _rows(
            self._session.execute(
                delete(OutboxRow).where(
                    OutboxRow.feedback_id.in_(ids), OutboxRow.platform == Platform.WEBHOOK.value
                )
            )
        )
        self._session.flush()
        return counts

    def forget_mentions(
        self, email: str, marker: str, now: datetime
    ) -> tuple[list[int], Counter[str]]:
        needle = f"%{email.lower()}%"
        pattern = re.compile(re.escape(email), re.IGNORECASE)
        counts: Counter[str] = Counter()
        touched: set[int] = set()
        items = self._session.scalars(
            select(FeedbackRow).where(
                or_(
                    func.lower(FeedbackRow.body).like(needle),
                    func.lower(FeedbackRow.title).like(needle),
                    func.lower(FeedbackRow.resolution).like(needle),
                )
            )
        )
        for item in items:
            item.body = pattern.sub(marker, item.body)
            item.title = pattern.sub(marker, item.title) if item.title else item.title
            item.resolution = pattern.sub(marker, item.resolution) if item.resolution else None
            item.updated_at, item.version = now, item.version + 1
            touched.add(item.id)
            counts["mentions"] += 1
        for comment in self._session.scalars(
            select(CommentRow).where(func.lower(CommentRow.text).like(needle))
        ):
            comment.text = pattern.sub(marker, comment.text)
            touched.add(comment.feedback_id)
            counts["mentions"] += 1
        for event in self._session.scalars(
            select(EventRow).where(func.lower(cast(EventRow.data, Text)).like(needle))
        ):
            event.data = _replaced(event.data, pattern, marker)
            counts["mentions"] += 1
        for reply in self._session.scalars(
            select(ReplyRow).where(
                or_(
                    func.lower(ReplyRow.text).like(needle),
                    func.lower(ReplyRow.recipient).like(needle),
                )
            )
        ):
            reply.text = pattern.sub(marker, reply.text)
            reply.recipient = pattern.sub("", reply.recipient)
            touched.add(reply.feedback_id)
            counts["mentions"] += 1
        self._session.flush()
        return sorted(touched), counts

    def replies_to(self, item_ids: Sequence[int]) -> list[SentReply]:
        rows = self._session.scalars(
            select(ReplyRow).where(ReplyRow.feedback_id.in_(list(item_ids))).order_by(ReplyRow.id)
        )
        return [
            SentReply(r.feedback_id, r.at, r.recipient, r.subject, r.text, r.status) for r in rows
        ]

    def posted_notes(self, item_ids: Sequence[int]) -> list[PostedNote]:
        rows = self._session.execute(
            select(OutboxRow.feedback_id, OutboxRow.platform, OutboxRow.channel, OutboxRow.payload)
            .where(
                OutboxRow.feedback_id.in_(list(item_ids)),
                OutboxRow.action == OutboxAction.NOTE.value,
                OutboxRow.sent_at.is_not(None),
            )
            .order_by(OutboxRow.id)
        )
        return [
            PostedNote(
                int(row.feedback_id),
                int(row.payload["card_id"]),
                Platform(row.platform),
                row.channel,
                str(row.payload["note_id"]),
            )
            for row in rows
            if "note_id" in row.payload
        ]

    def drop_deliveries(self, email: str) -> int:
        doomed = self._deliveries_holding(email)
        if doomed:
            self._session.execute(delete(SourceDeliveryRow).where(SourceDeliveryRow.id.in_(doomed)))
        return len(doomed)

    def _deliveries_holding(self, email: str, *, first_only: bool = False) -> list[int]:
        """Read in pages, as a delivery's bytes may be any encoding and any case."""
        needle = email.lower().encode()
        doomed: list[int] = []
        after = 0
        while not (first_only and doomed):
            page = self._session.execute(
                select(SourceDeliveryRow.id, SourceDeliveryRow.body, SourceDeliveryRow.headers)
                .where(SourceDeliveryRow.id > after)
                .order_by(SourceDeliveryRow.id)
                .limit(_DELIVERIES_PER_READ)
            ).all()
            if not page:
                break
            after = page[-1].id
            doomed += [
                row.id
                for row in page
                if needle in bytes(row.body).lower() or needle in str(row.headers).lower().encode()
            ]
        return doomed
