"""Answering the customer through the channel their item came from: email, or a helpdesk's or
an app store's API."""

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
class VendorReply:
    """One reply posted through the API of the source the item came from. `marker` is fixed
    when the reply is stored: a later attempt asks the vendor whether it is there already."""

    source: str  # the source's name: its kind and the access it was added with
    target: str  # the ticket, conversation or review answered
    marker: str
    text: str


Outgoing = OutgoingEmail | VendorReply


@dataclass(frozen=True, slots=True)
class StoredReply:
    id: int
    feedback_id: int
    status: ReplyStatus
    outgoing: Outgoing


def key_of(outgoing: Outgoing) -> str:
    """What names a reply at the other end: the email's Message-ID, or the vendor's marker."""
    return outgoing.message_id if isinstance(outgoing, OutgoingEmail) else outgoing.marker


class ReplyChannel(Protocol):
    async def send(self, reply: Outgoing, *, retry: bool) -> None:
        """Hand the reply over once. `retry` says an earlier attempt may have got there: a
        vendor is asked first and nothing is sent when it has the reply already.
        `DeliveryError` without `retry_after` when it is refused for good (a 5xx from a mail
        server, a vendor's 4xx), with one when asked to try later; any other error (a
        timeout, a dropped connection) leaves it unknown whether it went."""
        ...


class ReplyRepository(Protocol):
    """Replies to customers, with the email or vendor post each one sends."""

    def add(
        self, item_id: int, author_id: int, channel: str, outgoing: Outgoing, now: datetime
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
