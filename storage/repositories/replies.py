"""Replies to customers and what they send: an email, or a post through a vendor's API.

A vendor reply keeps its marker in `message_id`, its source's name in `sender` and the ticket,
conversation or review it answers in `recipient`; its `channel` is the source's kind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain import Platform, Reply, ReplyStatus
from bot.ports.replies import Outgoing, OutgoingEmail, StoredReply, VendorReply
from storage.models import CommentRow, ReplyRow
from storage.repositories.people import PeopleRepository


class ReplyRepository:
    def __init__(self, session: Session, people: PeopleRepository) -> None:
        self._session = session
        self._people = people

    def add(
        self, item_id: int, author_id: int, channel: str, outgoing: Outgoing, now: datetime
    ) -> int:
        row = ReplyRow(
            feedback_id=item_id,
            author_id=author_id,
            channel=channel,
            status=ReplyStatus.PENDING.value,
            at=now,
            updated_at=now,
            **_columns(outgoing),
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def get(self, reply_id: int) -> StoredReply | None:
        row = self._session.get(ReplyRow, reply_id)
        return _stored(row) if row else None

    def mark(self, reply_id: int, status: ReplyStatus, error: str | None, now: datetime) -> None:
        self._session.execute(
            update(ReplyRow)
            .where(ReplyRow.id == reply_id)
            .values(status=status.value, error=error, updated_at=now)
        )

    def for_item(self, item_id: int) -> list[Reply]:
        rows = self._session.scalars(
            select(ReplyRow).where(ReplyRow.feedback_id == item_id).order_by(ReplyRow.id)
        )
        return [
            Reply(self._people.get(r.author_id), r.at, r.channel, ReplyStatus(r.status), r.error)
            for r in rows
        ]

    def last_failed(self, item_id: int) -> StoredReply | None:
        return self._one(item_id, ReplyStatus.FAILED, ReplyRow.id.desc())

    def awaiting_approval(self, item_id: int) -> StoredReply | None:
        return self._one(item_id, ReplyStatus.AWAITING_APPROVAL, ReplyRow.id)

    def _one(self, item_id: int, status: ReplyStatus, order: Any) -> StoredReply | None:
        row = self._session.scalars(
            select(ReplyRow)
            .where(ReplyRow.feedback_id == item_id, ReplyRow.status == status.value)
            .order_by(order)
            .limit(1)
        ).first()
        return _stored(row) if row else None

    def set_text(self, reply_id: int, text: str, now: datetime) -> None:
        self._session.execute(
            update(ReplyRow).where(ReplyRow.id == reply_id).values(text=text, updated_at=now)
        )

    def thread(self, item_id: int, source: str) -> list[str]:
        prefix = f"{source}:<"
        keys = self._session.scalars(
            select(CommentRow.external_id)
            .where(
                CommentRow.feedback_id == item_id,
                CommentRow.platform == Platform.SOURCE.value,
                CommentRow.external_id.startswith(prefix, autoescape=True),
            )
            .order_by(CommentRow.at, CommentRow.id)
        )
        return [key.removeprefix(source + ":") for key in keys if key and key.endswith(">")]


def _columns(outgoing: Outgoing) -> dict[str, str | None]:
    if isinstance(outgoing, VendorReply):
        return {
            "message_id": outgoing.marker,
            "sender": outgoing.source,
            "recipient": outgoing.target,
            "subject": "",
            "text": outgoing.text,
            "in_reply_to": None,
            "thread_refs": "",
        }
    return {
        "message_id": outgoing.message_id,
        "sender": outgoing.sender,
        "recipient": outgoing.to,
        "subject": outgoing.subject,
        "text": outgoing.text,
        "in_reply_to": outgoing.in_reply_to,
        "thread_refs": " ".join(outgoing.references),
    }


def _stored(row: ReplyRow) -> StoredReply:
    status = ReplyStatus(row.status)
    if row.channel != Platform.EMAIL.value:
        vendor = VendorReply(row.sender, row.recipient, row.message_id, row.text)
        return StoredReply(row.id, row.feedback_id, status, vendor)
    email = OutgoingEmail(
        message_id=row.message_id,
        sender=row.sender,
        to=row.recipient,
        subject=row.subject,
        text=row.text,
        in_reply_to=row.in_reply_to,
        references=tuple(row.thread_refs.split()),
    )
    return StoredReply(row.id, row.feedback_id, status, email)
