"""`@All Hands <command>`: the shared command layer answers; this module only renders.

Rendering is Teams markdown (the shared text marks bold the Slack way, `*bold*`), with an
item's card or, for a lead's `config`, the settings card beside the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.commands.answers import Answer, Listing
from bot.commands.guide import Guide
from handlers.teams.cards import feedback_card, plain, status_line
from handlers.teams.settings_card import settings_card

THREAD_HINT = "In a card's thread the FB- number may be left out."
LISTED_CHARS = 80
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
