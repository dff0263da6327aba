"""`@All Hands <command>`: the shared command layer answers; this module only renders.

Rendering is Teams markdown (the shared text marks bold the Slack way, `*bold*`), with an
item's card or, for a lead's `config`, the settings card beside the text. Search results link
to each item's card in its channel (a Teams deep link to the message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bot.commands.answers import Answer, Found, Listing
from bot.commands.guide import Guide
from bot.domain import Feedback, Platform
from handlers.teams.cards import feedback_card, plain, status_line
from handlers.teams.settings_card import settings_card

THREAD_HINT = "In a card's thread the FB- number may be left out."
LISTED_CHARS = 80
SNIPPET_CHARS = 200
MESSAGE_LINK = "https://teams.microsoft.com/l/message/{channel}/{message}"
# The shared answers mark bold the Slack way; Teams markdown wants double asterisks.
_SINGLE_BOLD = re.compile(r"(?<!\*)\*([^*\n]+)\*(?!\*)")


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    card: dict[str, Any] | None = None


def render(answer: Answer) -> Reply:
    """The answer as Teams shows it: text, with an item's card or the settings card."""
    if answer.shown is not None:
        item = answer.shown.item
        return Reply(f"{item.ref}: {status_line(item)}", feedback_card(item, answer.shown.viewer))
    if answer.listing is not None:
        return Reply(_listing(answer.listing))
    if answer.found is not None:
        return Reply(_found(answer.found))
    text = _markdown(answer.text)
    if answer.guide is not None:
        text = "\n\n".join(part for part in (text, help_text(answer.guide)) if part)
    form = answer.settings.form if answer.settings else None
    return Reply(text, settings_card(form) if form is not None else None)


def help_text(guide: Guide) -> str:
    usages = "\n".join(f"- `{usage.typed}`: {usage.does}" for usage in guide.usages)
    return "\n\n".join(
        [f"**All Hands** — {guide.about}:", usages, _markdown(guide.also), THREAD_HINT]
    )


def _markdown(text: str) -> str:
    """A shared plain-text answer as Teams markdown: bold, and one paragraph per line."""
    return "\n\n".join(_SINGLE_BOLD.sub(r"**\1**", line) for line in text.splitlines())


def _listing(listing: Listing) -> str:
    lines = [f"- **{i.ref}** {plain(i.title or i.body, LISTED_CHARS)}" for i in listing.items]
    return f"{listing.heading}:\n\n" + "\n".join(lines)


def _found(found: Found) -> str:
    """One line per item: its ref (linked to its card), state and title, then the start of
    what the customer said."""
    lines = []
    for item in found.items:
        link = _card_link(found, item)
        ref = f"[{item.ref}]({link})" if link else item.ref
        line = f"- **{ref}** · {item.state.value} · {plain(item.title or item.body, LISTED_CHARS)}"
        if item.title:
            line += f" — {plain(item.body, SNIPPET_CHARS)}"
        lines.append(line)
    return f"{_markdown(found.heading)}:\n\n" + "\n".join(lines)


def _card_link(found: Found, item: Feedback) -> str | None:
    for copy in found.cards.get(item.id, ()):
        if copy.platform is Platform.TEAMS and copy.message_id:
            channel = quote(copy.channel, safe="")
            return MESSAGE_LINK.format(channel=channel, message=quote(copy.message_id, safe=""))
    return None
