"""The digest's plan in the company's time zone, and a fixed, seeded history of real customer
texts with a ledger of what was done and when.

Tests compute the digest's numbers from the ledger on their own, so the digest is checked
against arithmetic it did not do.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.digest.period import DigestPlan
from bot.domain import Kind
from bot.intake import FeedbackDraft
from bot.service import Desk
from tests.support.builders import API, person
from tests.support.clock import FakeClock
from tests.support.realdata import realdata_path

ZONE = ZoneInfo("Europe/Berlin")
PLAN = DigestPlan(
    zone=ZONE,
    send_at=time(9, 0),
    weekdays=frozenset(range(5)),
    grace=timedelta(hours=6),
    mask_customers=True,
)
HELPERS = ["ana", "bo", "cy", "dee"]


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour:minute` on `day` in the company's zone, as a UTC time."""
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


@dataclass
class Ledger:
    """Every change the history made: (when, who) per kind, and arrival time per item ref."""

    arrived: dict[str, datetime] = field(default_factory=dict)
    claims: list[tuple[datetime, str, str]] = field(default_factory=list)
    closes: list[tuple[datetime, str, str]] = field(default_factory=list)
    reopens: list[tuple[datetime, str]] = field(default_factory=list)
    comments: list[tuple[datetime, str]] = field(default_factory=list)


def customer_texts() -> list[tuple[str, str]]:
    """(text, category) rows of the real banking customer messages."""
    with realdata_path("feedback", "banking77_test.csv").open(newline="") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def seed_history(desk: Desk, clock: FakeClock, first: date, last: date, seed: int = 6) -> Ledger:
    """Two to six arrivals a day from `first` to `last`; most get claimed, many closed."""
    rng = random.Random(seed)
    texts = customer_texts()
    ledger = Ledger()
    day = first
    while day <= last:
        for _ in range(rng.randint(2, 6)):
            at = local(day, rng.randint(0, 23), rng.randint(0, 59))
            text, category = texts[rng.randrange(len(texts))]
            clock.current = at
            draft = FeedbackDraft(
                source="zendesk",
                body=text,
                tags=[category],
                kind=rng.choice(list(Kind)),
                customer={"name": rng.choice(["Jane Doe", "Omar Haddad", "Li Wei"])},
            )
            ref = desk.ingest(draft, API).item.ref
            ledger.arrived[ref] = at
            _work(desk, clock, ledger, rng, ref, at)
        day += timedelta(days=1)
    return ledger


def _work(
    desk: Desk, clock: FakeClock, ledger: Ledger, rng: random.Random, ref: str, at: datetime
) -> None:
    if rng.random() < 0.25:
        return
    who = rng.choice(HELPERS)
    clock.current = at + timedelta(minutes=rng.randint(3, 900))
    desk.claim(ref, person(who))
    ledger.claims.append((clock.current, who, ref))
    if rng.random() < 0.3:
        clock.advance(minutes=rng.randint(1, 30))
        desk.comment(ref, person("eve"), "Looking into it")
        ledger.comments.append((clock.current, "eve"))
    if rng.random() < 0.6:
        clock.advance(minutes=rng.randint(10, 2000))
        desk.close(ref, person(who), "Sorted")
        ledger.closes.append((clock.current, who, ref))
        if rng.random() < 0.1:
            clock.advance(minutes=rng.randint(10, 600))
            desk.reopen(ref, person("lee"))
            ledger.reopens.append((clock.current, ref))
