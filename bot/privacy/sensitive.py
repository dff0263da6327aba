"""Sensitive items outside their restricted channel: a stub that says an item exists and how it
stands ("A sensitive item from Enterprise — claimed by Ana"), never what the customer wrote nor
who they are.

A sensitive route (`bot.admin.schemas.RouteRule.sensitive`) marks an item as it arrives; the
mark stays on the item. Only the card copies in the rule's own channels show its words: every
other surface (broad channels, direct messages, chat answers, the digest, untrusted webhooks)
gets the stub, or nothing where leads chose so (`privacy`'s `sensitive_elsewhere`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, NamedTuple

from bot.domain import Customer, Feedback, State, holder_name
from bot.ports.records import CardCopy

STUB_BODY = "Only its restricted channel shows what the customer wrote."


def stub_title(rule: str) -> str:
    return f"A sensitive item from {rule}"


def stub_line(item: Feedback) -> str:
    """The one line a broad surface shows of a sensitive item: where from, who has it."""
    line = stub_title(item.sensitive_rule or "a restricted route")
    if item.state is State.CLAIMED and item.claimed:
        return f"{line} — claimed by {holder_name(item.claimed.person)}"
    if item.state is State.CLOSED and item.closed:
        return f"{line} — closed by {holder_name(item.closed.person)}"
    return line


def stub_item(item: Feedback) -> Feedback:
    """The item as a broad channel's card shows it: its state, severity and who holds it; no
    words, customer, tags, links or thread, as any of them may tell what it is about."""
    return replace(
        item,
        external_id=None,
        title=stub_title(item.sensitive_rule or "a restricted route"),
        body=STUB_BODY,
        tags=(),
        product_area=None,
        url=None,
        customer=Customer(),
        resolution=None,
        comments=(),
        links=(),
        replies=(),
        text_masked=False,
    )


def outside(item: Feedback) -> Feedback:
    """The item as any surface but its restricted card may show it."""
    return stub_item(item) if item.sensitive_rule else item


class CardView(NamedTuple):
    """An item as one copy of its card shows it; `words`: it shows the customer's words (and
    may tell of the customer), else it is a sensitive item's stub."""

    item: Feedback
    words: bool


def on_card(item: Feedback, copy: CardCopy | None) -> CardView:
    """The item as one copy of its card shows it: a sensitive item whole only in a restricted
    copy (a stub on an unknown one); any other item whole everywhere."""
    words = shows_words(item, copy) if copy is not None else item.sensitive_rule is None
    return CardView(item if words else outside(item), words)


def shows_words(item: Feedback, copy: CardCopy) -> bool:
    """Whether a copy of the card may show the item's words, and its thread carry notes on it
    (comments, resolutions, hand-off notes): a sensitive item's stay in its restricted channel."""
    return item.sensitive_rule is None or copy.restricted


def webhook_without_words(body: dict[str, Any]) -> dict[str, Any]:
    """A webhook body for a receiver not trusted with a sensitive item: its state and ids,
    without the title, resolution, customer or the event's words."""
    feedback = {
        **body["feedback"],
        "title": None,
        "resolution": None,
        "customer_email": None,
    }
    return {**body, "feedback": feedback, "data": {}}
