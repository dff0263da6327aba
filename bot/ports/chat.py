"""What the core needs from each chat platform (and webhook receivers), as Protocols the
adapters in `handlers/` implement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.customers.story import NO_STORY, CustomerStory
from bot.digest.model import Chart, Digest
from bot.domain import Event, Feedback, Platform
from bot.ports.records import CardCopy


@dataclass(frozen=True, slots=True)
class Destination:
    """A channel that should show an item's card; `mention` is paged there for urgent items."""

    platform: Platform
    channel: str
    mention: str | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a new item's card goes: `cards` show it; when a sensitive rule (named by
    `sensitive`) restricted it there, `stubs` are the broad channels it would otherwise reach."""

    cards: list[Destination]
    stubs: list[Destination] = field(default_factory=list)
    sensitive: str | None = None


class Router(Protocol):
    def place(self, item: Feedback) -> Placement: ...


@dataclass(frozen=True, slots=True)
class PostedCard:
    """Platform ids of a card (or a thread note) once posted, kept so later changes update it
    in place."""

    message_id: str
    extra: dict[str, Any]


class ChatPoster(Protocol):
    """One chat platform's outbound side. Raises `bot.errors.DeliveryError` on failure.

    Cards are always rendered from the item as it is now, so a late or repeated call still
    shows the truth; `story` is what the card tells of the customer besides (their earlier
    items, the account fields leads chose), read with the item. `retry` says an earlier
    attempt may have posted the message already (its answer lost, or its sender gone before
    recording it): a poster that can look for it first does, and only then, as the look-up
    costs a call against the platform's rate limits.
    """

    platform: Platform

    async def post_card(
        self,
        item: Feedback,
        channel: str,
        dedup_key: str,
        *,
        retry: bool = False,
        story: CustomerStory = NO_STORY,
    ) -> PostedCard: ...

    async def update_card(
        self, item: Feedback, copy: CardCopy, story: CustomerStory = NO_STORY
    ) -> None: ...

    async def post_note(
        self, item: Feedback, copy: CardCopy, event: Event, *, retry: bool = False
    ) -> str | None:
        """Post the change's line in the card's thread; its message id, kept so an erasure
        can rewrite it, or None when the change needs no line."""
        ...

    async def redact_note(self, copy: CardCopy, note_id: str, text: str) -> None:
        """Replace what a note of ours in the card's thread says with `text` (an erasure's)."""
        ...

    async def post_mention(
        self, item: Feedback, copy: CardCopy, mention: str, *, retry: bool = False
    ) -> None:
        """Page a Slack user group / Teams tag (its id) in the card's thread."""
        ...

    async def post_summary(
        self, channel: str, dedup_key: str, text: str, written_at: datetime, *, retry: bool = False
    ) -> PostedCard:
        """Post a plain message (a flood's summary) into `channel`; `retry` as for cards."""
        ...

    async def update_summary(self, channel: str, summary: PostedCard, text: str) -> None:
        """Replace the text of a message `post_summary` posted."""
        ...


class QueueMessenger(Protocol):
    """Sends one person a direct message with open items and a Claim button on each."""

    platform: Platform

    async def send_queue(self, email: str, intro: str, items: Sequence[Feedback]) -> bool:
        """False when nobody with this email is known on the platform."""
        ...


class DirectMessenger(Protocol):
    """Sends one person (by email) a direct message; the outbox's DIRECT messages."""

    platform: Platform

    async def send_direct(self, email: str, text: str, reply_ref: str | None = None) -> bool:
        """False when nobody with this email is known on the platform. Raises
        `bot.errors.DeliveryError` on failure. With `reply_ref` (an item's ref) the message
        offers to reply to that item's customer."""
        ...


class WebhookSender(Protocol):
    """Delivers one signed webhook; raises `bot.errors.DeliveryError` when it did not land."""

    async def deliver(self, url: str, secret: str, delivery_id: str, body: bytes) -> None: ...


class DigestPublisher(Protocol):
    """One chat platform's way to deliver the daily digest (`bot.digest.model.Digest`).

    `chart` is drawn by `bot.digest.chart`. Raises `bot.errors.DeliveryError` on failure.
    """

    platform: Platform

    async def post_to_channel(self, channel: str, digest: Digest, chart: Chart) -> None: ...

    async def send_to_person(self, email: str, digest: Digest, chart: Chart) -> bool:
        """A direct message; False when nobody with this email is known on the platform."""
        ...
