"""The feedback item, the people who work it and the rules of its life cycle. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


class Kind(StrEnum):
    COMPLAINT = "complaint"
    BUG = "bug"
    QUESTION = "question"
    FEEDBACK = "feedback"
    PRAISE = "praise"


class Severity(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Platform(StrEnum):
    """Where an actor acted from; also where outbound messages go (cards, webhooks)."""

    SLACK = "slack"
    TEAMS = "teams"
    API = "api"
    CLI = "cli"
    SYSTEM = "system"
    WEBHOOK = "webhook"
    SOURCE = "source"  # a helpdesk, survey, mailbox or app store (bot.sources)
    EMAIL = "email"  # a reply to the customer, by email or a vendor's API (bot.replies)


class EventKind(StrEnum):
    INGESTED = "ingested"
    CLAIMED = "claimed"
    UNCLAIMED = "unclaimed"
    HANDED_OFF = "handed_off"
    COMMENTED = "commented"
    CLOSED = "closed"
    REOPENED = "reopened"
    EDITED = "edited"
    NUDGED = "nudged"
    ESCALATED = "escalated"
    REMINDED = "reminded"
    SOURCE_STATUS = "source_status"  # the source changed the conversation's status
    REVISED = "revised"  # the customer rewrote what they said (an edited app store review)
    LINKED = "linked"  # someone linked the tracker issue that fixes the item
    FIX_SHIPPED = "fix_shipped"  # a linked issue was closed
    FIX_REOPENED = "fix_reopened"  # a linked issue was opened again
    REPLIED = "replied"  # someone answered the customer through the item's source
    REPLY_FAILED = "reply_failed"  # the customer's mail server refused that answer
    REPEATED = "repeated"  # another customer said the same: their item attached to this card
    SPLIT = "split"  # a repeat taken back out to a card of its own
    MERGED = "merged"  # this card's items moved onto another card
    REPLY_HELD = "reply_held"  # an answer waits for a lead's approval
    CSAT_RATED = "csat_rated"  # the customer scored the answer (1-5) from the reply's link


# The bot itself, when it acts on its own (nudges, reminders).
SYSTEM_IDENTITY_ID = "allhands"

REF_PREFIX = "FB-"
BODY_MAX_CHARS = 20_000


def ref_for(item_id: int) -> str:
    """The short public reference people type and say: FB-123."""
    return f"{REF_PREFIX}{item_id}"


def id_from_ref(ref: str) -> int | None:
    """FB-123, fb-123 or plain 123 → 123; anything else → None."""
    text = ref.strip().upper()
    if text.startswith(REF_PREFIX):
        text = text[len(REF_PREFIX) :]
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


@dataclass(frozen=True, slots=True)
class Identity:
    """One person's account on one platform, as the adapter saw it.

    `external_id` is the platform's stable id (Slack `T123:U456`, Teams AAD object id, an API
    token name, a CLI email). Email links identities on different platforms to one person.
    An empty `name` means the platform could not say just now (a failed look-up).
    """

    platform: Platform
    external_id: str
    name: str
    email: str | None = None


THE_BOT = Identity(Platform.SYSTEM, SYSTEM_IDENTITY_ID, "All Hands")


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    email: str | None
    is_lead: bool = False
    is_exec: bool = False


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, and from where (so a card can say "Claimed by Ana (in Slack)")."""

    person: Person
    platform: Platform


@dataclass(frozen=True, slots=True)
class Customer:
    name: str | None = None
    email: str | None = None
    company: str | None = None
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class Holder:
    """A person as shown on an item: the claimer or the closer, with the platform they used."""

    person: Person
    platform: Platform
    at: datetime


@dataclass(frozen=True, slots=True)
class Comment:
    author: Person
    platform: Platform
    text: str
    at: datetime


class LinkStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Link:
    """The issue in the team's tracker that fixes an item, as its tracker last told us.

    `awaiting_reply`: the issue was closed (the fix shipped) and nobody has told the customer;
    `reopened`: the tracker opened it again after it was closed.
    """

    url: str
    title: str
    status: LinkStatus
    awaiting_reply: bool = False
    reopened: bool = False


@dataclass(frozen=True, slots=True)
class Feedback:
    id: int
    source: str
    external_id: str | None
    title: str | None
    body: str
    kind: Kind
    severity: Severity
    tags: tuple[str, ...]
    product_area: str | None
    url: str | None
    customer: Customer
    received_at: datetime
    state: State
    claimed: Holder | None
    closed: Holder | None
    resolution: str | None
    notify_customer: bool
    created_at: datetime
    updated_at: datetime
    version: int
    comments: tuple[Comment, ...] = field(default=())
    source_status: str | None = None  # the status the source gives its conversation
    # This copy shows its title or body with personal data masked (`bot.privacy.shown`).
    text_masked: bool = False
    links: tuple[Link, ...] = field(default=())
    replies: tuple[Reply, ...] = field(default=())  # read with the comments
    # The sensitive route that restricted it when it arrived (`bot.privacy.sensitive`).
    sensitive_rule: str | None = None
    duplicate_of: int | None = None  # a repeat: the item whose card it attached to
    csat: int | None = None  # the customer's satisfaction score (1-5) from the reply's link

    @property
    def ref(self) -> str:
        return ref_for(self.id)

    @property
    def fixed_awaiting_reply(self) -> bool:
        """A linked fix shipped and the customer has not been told yet."""
        return any(link.awaiting_reply for link in self.links)

    @property
    def reply_held(self) -> bool:
        """A reply to the customer waits for a lead's approval (setting replies.approval)."""
        return any(reply.status is ReplyStatus.AWAITING_APPROVAL for reply in self.replies)

    @property
    def refused_reply(self) -> Reply | None:
        """The latest reply to the customer, while it stands refused: the card shows why, with
        Retry."""
        latest = self.replies[-1] if self.replies else None
        return latest if latest is not None and latest.status is ReplyStatus.FAILED else None


class ReplyStatus(StrEnum):
    PENDING = "pending"  # stored, waiting for the outbox to send it
    SENT = "sent"
    FAILED = "failed"  # refused for good; `allhands feedback reply-retry` sends it again
    AWAITING_APPROVAL = "awaiting_approval"  # held until a lead approves (setting replies.approval)


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer sent (or being sent) to the customer through the item's source."""

    by: Person
    at: datetime
    channel: str
    status: ReplyStatus
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    feedback_id: int
    kind: EventKind
    actor: Person | None
    platform: Platform
    at: datetime
    data: dict[str, object]


def holder_name(person: Person) -> str:
    """How a person is named on cards and in answers, whatever the platform told us."""
    return person.name or person.email or f"person {person.id}"


def can_unclaim(item: Feedback, actor: Actor) -> bool:
    """Only the holder or a lead may give a claim back."""
    holder = item.claimed.person.id if item.claimed else None
    return item.state is State.CLAIMED and (holder == actor.person.id or actor.person.is_lead)


def can_hand_off(item: Feedback, actor: Actor) -> bool:
    """The holder (or a lead) passes an item on; an open item can be handed to someone too."""
    if item.state is State.OPEN:
        return True
    return can_unclaim(item, actor)
