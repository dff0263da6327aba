"""What the core asks the store about repeats: items attached to the card of another item."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.customers.story import EarlierItem, RepeatSummary
from bot.domain import State


@dataclass(frozen=True, slots=True)
class Standing:
    """Where an item stands, as far as attaching a repeat to it goes."""

    item_id: int
    duplicate_of: int | None
    state: State
    closed_at: datetime | None


class RepeatRepository(Protocol):
    def standing(self, item_ids: Sequence[int]) -> dict[int, Standing]: ...

    def attach(self, item_id: int, card_item_id: int) -> None:
        """Store `item_id` as a repeat of `card_item_id`."""
        ...

    def members(self, card_item_id: int) -> list[int]:
        """The card's item and its repeats, oldest first."""
        ...

    def split(self, item_id: int, card_item_id: int) -> bool:
        """Take a repeat off its card; False when it is not (or no longer) on that card."""
        ...

    def move(self, card_item_id: int, into_item_id: int) -> int:
        """The card's item and its repeats become repeats of `into_item_id`; how many moved."""
        ...

    def lines(self, item_ids: Sequence[int]) -> dict[int, EarlierItem]:
        """Items as a card names them: state, who has or closed them, the resolution."""
        ...

    def summaries(self, card_item_ids: Sequence[int]) -> dict[int, RepeatSummary]:
        """Each card's repeats, for those that have any."""
        ...
