"""What a source's delivery says, once its vendor's parser has read it: platform-neutral.

A parser (one per vendor, in `handlers/sources/`) turns a payload into these; `bot.sources.intake`
decides what each does to the items. Conversations are found by keys: the vendor's ticket,
conversation, response or review id, or an email's Message-ID.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import Kind, Severity
from bot.intake import CustomerIn


class Unusable(Exception):
    """The payload cannot be read: `reason` names what is missing (kept for a replay)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Arrived:
    """A new conversation: it becomes an item with `key` as its external id."""

    key: str
    body: str
    title: str | None = None
    kind: Kind = Kind.FEEDBACK
    severity: Severity = Severity.NORMAL
    customer: CustomerIn = field(default_factory=CustomerIn)
    url: str | None = None
    received_at: datetime | None = None
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other keys later messages may refer to it by


@dataclass(frozen=True, slots=True)
class FollowedUp:
    """More words in a conversation: a comment on its item.

    `refers_to` are the keys of the conversation it belongs to, tried in order; `own_key` is
    its own (an email's Message-ID), so a reply to it finds the item too. When no item is
    known for any key, `otherwise` (if given) starts one.
    """

    refers_to: tuple[str, ...]
    text: str
    author: str | None = None
    from_customer: bool = True
    own_key: str | None = None
    at: datetime | None = None
    otherwise: Arrived | None = None


@dataclass(frozen=True, slots=True)
class Revised:
    """What the customer says now, in a conversation they can rewrite (an app store review):
    its item's title, text, kind, severity and tags follow the latest version.

    A source that cannot tell a new conversation from an edited one (a review fetched for the
    first time may already be an edit) sends every version this way: the first one seen
    starts an item, like `Arrived`. `what` names it in the card's thread ("review");
    `rating` is the customer's stars now, where there are any.
    """

    latest: Arrived
    what: str = "message"
    rating: int | None = None


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The vendor changed the conversation's status (e.g. Zendesk "solved"): noted on the card."""

    key: str
    status: str


SourceEvent = Arrived | FollowedUp | Revised | StatusChanged
