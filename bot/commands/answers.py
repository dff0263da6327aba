"""What a chat command's answer shows, as data: each adapter renders it for its platform.

Never Slack blocks or Teams JSON, so both platforms show the same headings, limits and words,
and each keeps its own way of showing them (Slack's Claim buttons, Teams' cards).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.commands.guide import Guide
from bot.domain import Feedback, Person
from bot.ports.records import CardCopy

READ_ONLY = "Only support leads can change these; ask one of them."


@dataclass(frozen=True, slots=True)
class Listing:
    """Items under a heading; `claim_buttons` where the platform can put a Claim on each."""

    heading: str
    items: tuple[Feedback, ...]
    claim_buttons: bool


@dataclass(frozen=True, slots=True)
class Found:
    """A search's best items, best first, and where each one's card lives: each platform
    links to its own copy."""

    heading: str
    items: tuple[Feedback, ...]
    cards: Mapping[int, tuple[CardCopy, ...]]


@dataclass(frozen=True, slots=True)
class Shown:
    """One item's card as `viewer` sees it (a holder sees Unclaim where the platform can)."""

    item: Feedback
    viewer: Person


@dataclass(frozen=True, slots=True)
class SettingsView:
    """The settings now (`summary`), and the form's values when the person is a lead."""

    summary: str
    form: Mapping[str, str] | None

    @property
    def may_edit(self) -> bool:
        return self.form is not None


@dataclass(frozen=True, slots=True)
class Answer:
    """`text` is plain text with `*bold*` marks (the adapter escapes and converts it); it is
    also the fallback when one of the others is shown."""

    text: str = ""
    guide: Guide | None = None
    listing: Listing | None = None
    found: Found | None = None
    shown: Shown | None = None
    settings: SettingsView | None = None
