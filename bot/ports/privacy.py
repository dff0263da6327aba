"""What retention and erasure need from the store: a customer's text found and removed in
every table that holds it, and the jobs that carry one person's erasure across crashes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import Platform


@dataclass(frozen=True, slots=True)
class ErasureJob:
    """One person's erasure under way: the address (kept only until it is done) and what has
    been removed so far, per kind."""

    id: int
    email: str
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class PostedNote:
    """A note the bot posted in the thread of one of an item's cards."""

    feedback_id: int
    card_id: int
    platform: Platform
    channel: str
    note_id: str


@dataclass(frozen=True, slots=True)
class SentReply:
    """An answer to the customer as stored, for their export: the email's own words."""

    feedback_id: int
    at: datetime
    recipient: str
    subject: str
    text: str
    status: str


class PersonalDataRepository(Protocol):
    def items_of(self, email: str, limit: int) -> list[int]:
        """Items whose customer is `email` (in any case), oldest first."""
        ...

    def names(self, email: str) -> bool:
        """Whether anything stored still holds `email`: an item of theirs, text naming them,
        a raw source delivery."""
        ...

    def items_before(self, cutoff: datetime, markers: Sequence[str], limit: int) -> list[int]:
        """Items received before `cutoff` whose text has not been removed (its body is none
        of `markers`), oldest first."""
        ...

    def scrub(self, item_ids: Sequence[int], marker: str, now: datetime) -> Counter[str]:
        """Put `marker` in place of the items' words (body, title, resolution, comments, the
        words in their events and replies) and drop their customer fields, text vectors and
        webhook copies; counts per kind. Counts, states and the events themselves stay."""
        ...

    def forget_mentions(
        self, email: str, marker: str, now: datetime
    ) -> tuple[list[int], Counter[str]]:
        """Put `marker` in place of `email` wherever other text names it; the items touched
        and counts per kind."""
        ...

    def replies_to(self, item_ids: Sequence[int]) -> list[SentReply]:
        """The answers sent to the customer on the items, oldest first."""
        ...

    def posted_notes(self, item_ids: Sequence[int]) -> list[PostedNote]:
        """The thread notes sent for the items whose platform ids were kept."""
        ...

    def drop_deliveries(self, email: str) -> int:
        """Delete the raw source deliveries kept with `email` in them; how many."""
        ...


@dataclass(frozen=True, slots=True)
class Lease:
    """A job held by `owner` from `now` until `until`, unless it renews."""

    owner: str
    now: datetime
    until: datetime


class ErasureRepository(Protocol):
    def start(
        self, email: str, actor_id: int | None, platform: Platform, lease: Lease
    ) -> ErasureJob | None:
        """A new job under `lease`, or the unfinished one for `email` taken over when its
        lease has run out; None while another process holds that one."""
        ...

    def take(self, lease: Lease) -> ErasureJob | None:
        """An unfinished job whose lease has run out (its process gone), leased to `owner`."""
        ...

    def progress(self, job_id: int, counts: dict[str, int], owner: str, until: datetime) -> bool:
        """Record what is done and extend the lease; False when `owner` no longer holds it."""
        ...

    def finish(self, job_id: int, counts: dict[str, int], now: datetime) -> bool:
        """Mark it done, forget the address and write its one audit entry; False when another
        process finished it first."""
        ...
