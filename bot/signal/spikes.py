"""When a tag or a source gets unusually many items in a day: pure counting, no I/O.

"Unusual" is kept simple so a lead can check it by hand: today's count reaches `MIN_ITEMS`
and exceeds the mean of the trailing `TRAILING_DAYS` daily counts by more than `SPREAD`
standard deviations (days without items count as zero). After a quiet month the tenth item of
a day is a spike; a tag that gets twenty a day needs well over twenty.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean, pstdev
from zoneinfo import ZoneInfo

from bot.ports.spikes import Arrival

TRAILING_DAYS = 28
MIN_ITEMS = 10
SPREAD = 3.0
TAG = "tag"
SOURCE = "source"

Key = tuple[str, str]  # (dimension, its value): ("tag", "billing"), ("source", "zendesk")


@dataclass(frozen=True, slots=True)
class Baseline:
    usual: float  # items a day over the trailing days
    threshold: int  # the count that makes today a spike


@dataclass(frozen=True, slots=True)
class Spike:
    key: Key
    count: int
    baseline: Baseline
    newest_id: int


def keys_of(arrival: Arrival) -> list[Key]:
    return [(SOURCE, arrival.source), *((TAG, tag) for tag in sorted(set(arrival.tags)))]


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight of `day` as a UTC instant (a DST day is 23 or 25 hours long)."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def baseline(history: Sequence[int]) -> Baseline:
    usual = fmean(history) if history else 0.0
    spread = pstdev(history) if len(history) > 1 else 0.0
    return Baseline(usual, max(MIN_ITEMS, math.floor(usual + SPREAD * spread) + 1))


def daily_history(
    arrivals: Iterable[Arrival], first_day: date, zone: ZoneInfo, days: int = TRAILING_DAYS
) -> dict[Key, list[int]]:
    """Each key's count per local day, from `first_day` on, `days` long."""
    history: dict[Key, list[int]] = {}
    for arrival in arrivals:
        index = (arrival.received_at.astimezone(zone).date() - first_day).days
        if 0 <= index < days:
            for key in keys_of(arrival):
                history.setdefault(key, [0] * days)[index] += 1
    return history


def today_counts(arrivals: Iterable[Arrival]) -> tuple[Counter[Key], dict[Key, int]]:
    """Each key's count and its newest item's id."""
    counts: Counter[Key] = Counter()
    newest: dict[Key, int] = {}
    for arrival in arrivals:
        for key in keys_of(arrival):
            counts[key] += 1
            newest[key] = max(newest.get(key, arrival.id), arrival.id)
    return counts, newest


def candidates(counts: Mapping[Key, int]) -> list[Key]:
    """Keys that could be spiking: the rest need no history read."""
    return [key for key, count in counts.items() if count >= MIN_ITEMS]


def spikes(
    counts: Mapping[Key, int], newest: Mapping[Key, int], history: Mapping[Key, Sequence[int]]
) -> list[Spike]:
    found = []
    for key in candidates(counts):
        usual = baseline(history.get(key, [0] * TRAILING_DAYS))
        if counts[key] >= usual.threshold:
            found.append(Spike(key, counts[key], usual, newest[key]))
    return sorted(found, key=lambda spike: spike.key)


def trailing_window(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants the trailing days before `day` span."""
    first = day - timedelta(days=TRAILING_DAYS)
    return day_start(first, zone), day_start(day, zone)
