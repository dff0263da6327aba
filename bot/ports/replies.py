"""Answering the customer through the channel their item came from (email first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import Reply, ReplyStatus


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """One reply as it goes out. `message_id` is fixed when the reply is stored, so every
    attempt to send it carries the same one."""

    message_id: str
    sender: str
    to: str
    subject: str
    text: str
    in_reply_to: str | None
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StoredReply:
    id: int
    feedback_id: int
    status: ReplyStatus
    email: OutgoingEmail


class ReplyChannel(Protocol):
    async def send(self, email: OutgoingEmail) -> None:
        """Hand the reply to the mail server once. `DeliveryError` without `retry_after`
        when it refuses for good (5xx), with one when it asks to try later (4xx); any
        other error (a timeout, a dropped connection) leaves it unknown whether it went."""
        ...


class ReplyRepository(Protocol):
    """Replies to customers, with the email each one sends."""

    def add(
        self, item_id: int, author_id: int, channel: str, email: OutgoingEmail, now: datetime
    ) -> int: ...

    def get(self, reply_id: int) -> StoredReply | None: ...

    def mark(
        self, reply_id: int, status: ReplyStatus, error: str | None, now: datetime
    ) -> None: ...

    def for_item(self, item_id: int) -> list[Reply]:
        """The item's replies, oldest first."""
        ...

    def last_failed(self, item_id: int) -> StoredReply | None: ...

    def awaiting_approval(self, item_id: int) -> StoredReply | None:
        """The item's oldest reply held for a lead's approval."""
        ...

    def set_text(self, reply_id: int, text: str, now: datetime) -> None:
        """A lead's edit of a held reply, before it is sent."""
        ...

    def thread(self, item_id: int, source: str) -> list[str]:
        """The Message-IDs of the later emails on the item from `source`, oldest first (the
        first email's is the item's external id)."""
        ...
