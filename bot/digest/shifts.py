"""What moved most: the three figures the executive version leads with.

Every candidate is a figure the digest already shows beside its usual value: the four counts
against their 7-day average, each theme this week against the week before, and the share of
negative feedback against the 7 days before the period. They are ranked by how unusual the move
is: its distance from the usual value in units of √(usual + 1), the spread of counts of
independent arrivals. So 40 items against a usual 20 outranks 3 against a usual 1, and a theme
going from 0 to 2 does not outrank the day's volume doubling.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.digest.model import Counts, SentimentMix, Shift, Theme

TOP_SHIFTS = 3
COUNT_FIELDS = ("new", "claimed", "closed", "still_open")


def biggest_shifts(
    counts: Counts,
    themes: Sequence[Theme],
    sentiment: SentimentMix,
    before: SentimentMix,
) -> tuple[Shift, ...]:
    """Up to three figures that moved, most unusual first; none when nothing moved."""
    ranked: list[tuple[float, Shift]] = []
    for name in COUNT_FIELDS:
        count = getattr(counts, name)
        shift = Shift(name, count.value, count.average)
        ranked.append((_surprise(count.value, count.average), shift))
    for theme in themes:
        shift = Shift(theme.label, theme.this_week, theme.last_week, theme)
        ranked.append((_surprise(theme.this_week, theme.last_week), shift))
    if sentiment.total and before.total:
        expected = before.negative / before.total * sentiment.total
        shift = Shift(
            "negative", sentiment.percent(sentiment.negative), before.percent(before.negative)
        )
        ranked.append((_surprise(sentiment.negative, expected), shift))
    moved = [(score, shift) for score, shift in ranked if shift.value != shift.usual]
    moved.sort(key=lambda pair: -pair[0])
    return tuple(shift for _, shift in moved[:TOP_SHIFTS])


def _surprise(value: float, usual: float) -> float:
    return abs(value - usual) / math.sqrt(usual + 1)
