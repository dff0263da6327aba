"""What a card shows about the customer besides the item itself: a view model, no I/O.

Both chat platforms render it (`handlers/slack/blocks.py:card`,
`handlers/teams/cards.py:feedback_card`), so whoever picks an item up sees at once that the
customer wrote before, how that ended, and who they are to the company.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Person, Platform, State

SHOWN_EARLIER = 3  # a card lists the newest few; the count says how many there are in all
RESOLUTION_WORDS = 8
RESOLUTION_CHARS = 80
SHOWN_CUSTOMERS = 5  # on a card with repeats, the customers named before "and N more"


@dataclass(frozen=True, slots=True)
class EarlierItem:
    """One of the customer's earlier items: where it stands and, if someone has it or closed
    it, who (`by`, on `platform`); `summary` is its title or the start of its words."""

    ref: str
    state: State
    summary: str
    by: Person | None = None
    platform: Platform | None = None
    resolution: str | None = None

    @property
    def resolution_start(self) -> str | None:
        """The resolution's first words, enough to recall how it ended."""
        return first_words(self.resolution) if self.resolution else None


@dataclass(frozen=True, slots=True)
class History:
    """The customer's earlier items: how many in all, and the newest `SHOWN_EARLIER`."""

    count: int = 0
    shown: tuple[EarlierItem, ...] = ()


@dataclass(frozen=True, slots=True)
class AccountFact:
    """One field of the company's customer look-up that leads chose to show (`label` is the
    field as they named it)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class RepeatSummary:
    """A card's repeats: how many customers said it in all (the card's own one counted), the
    newest repeat's words, and who they are (names, or addresses for the nameless; the card's
    own customer first)."""

    customers_count: int
    newest_quote: str
    customers: tuple[str, ...]

    def line(self) -> str:
        """Plain text, escaped by each platform: 4 customers reported this · newest: “…” · Ana, …"""
        names = ", ".join(self.customers[:SHOWN_CUSTOMERS])
        more = len(self.customers) - SHOWN_CUSTOMERS
        names += f" and {more} more" if more > 0 else ""
        quote = first_words(self.newest_quote, words=20, chars=160)
        return f"{self.customers_count} customers reported this · newest: “{quote}” · {names}"


@dataclass(frozen=True, slots=True)
class CustomerStory:
    history: History = History()
    account: tuple[AccountFact, ...] = ()
    repeats: RepeatSummary | None = None  # other customers who said the same (their repeats)
    similar: tuple[EarlierItem, ...] = ()  # other cards that say something alike


NO_STORY = CustomerStory()


def first_words(text: str, words: int = RESOLUTION_WORDS, chars: int = RESOLUTION_CHARS) -> str:
    """The first `words` words of `text` on one line, at most `chars` characters, "…" if cut."""
    all_words = text.split()
    start = " ".join(all_words[:words])
    if len(start) > chars:
        start = start[: chars - 1].rstrip()
    cut = len(all_words) > words or len(start) < len(" ".join(all_words[:words]))
    return start + "…" if cut else start
