"""An item's card as plain text, for a terminal: what the Slack and Teams cards show, in lines.

The chat cards cut long text to fit their platform's limits and offer "Show full text"; a
terminal has no such limit, so the whole text is shown.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain import Feedback, Holder, Platform, State, holder_name
from bot.trackers.issues import link_lines

LABEL_WIDTH = 10
PLACES = {
    Platform.API: "the API",
    Platform.CLI: "the command line",
    Platform.SYSTEM: "automation",
    Platform.WEBHOOK: "a webhook",
}


def card_text(item: Feedback) -> str:
    """Heading, title, text, facts, status and the buttons the card offers now."""
    lines = [f"{item.ref} · {item.kind.value.capitalize()} · {item.severity.value.capitalize()}"]
    if item.title:
        lines.append(item.title)
    lines += ["", item.body.strip(), ""]
    facts = [
        ("Customer", _customer(item)),
        ("Source", " · ".join(x for x in (item.source, item.url) if x)),
        ("Received", _when(item.received_at)),
        ("Area", item.product_area),
        ("Tags", " ".join(f"#{tag}" for tag in item.tags)),
        ("Status", _status(item)),
        *(("Fix", line) for line in link_lines(item)),
        ("Buttons", " · ".join(_buttons(item))),
    ]
    lines += [f"{label:<{LABEL_WIDTH}}{value}" for label, value in facts if value]
    return "\n".join(lines)


def _customer(item: Feedback) -> str:
    customer = item.customer
    extras = ", ".join(x for x in (customer.company, customer.tier) if x)
    name = customer.name or "Unknown customer"
    shown = f"{name} ({extras})" if extras else name
    return f"{shown} <{customer.email}>" if customer.email else shown


def _status(item: Feedback) -> str:
    if item.state is State.CLAIMED and item.claimed:
        return f"Claimed by {_who(item.claimed)} since {_when(item.claimed.at)}"
    if item.state is State.CLOSED and item.closed:
        resolution = f": {item.resolution}" if item.resolution else ""
        told = " (the customer will be told)" if item.notify_customer else ""
        return f"Closed by {_who(item.closed)} on {_when(item.closed.at)}{resolution}{told}"
    return "Open, nobody has it yet"


def _buttons(item: Feedback) -> list[str]:
    shown = {
        State.OPEN: ["Claim", "Close…"],
        State.CLAIMED: ["Unclaim", "Close…"],
        State.CLOSED: ["Reopen"],
    }[item.state]
    return [*shown, "Open source"] if item.url else shown


def _who(holder: Holder) -> str:
    place = PLACES.get(holder.platform, holder.platform.value.capitalize())
    return f"{holder_name(holder.person)} (in {place})"


def _when(at: datetime) -> str:
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
