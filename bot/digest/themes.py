"""The digest's themes: the period's top tags, and the themes its items cluster into.

Tags are the leads' own words for what matters; clusters (`bot.signal.themes`) find what
customers write about whether or not anyone tagged it. A theme is something at least two
items of the period share: one customer is an anecdote, and a change from one mention to two
is no trend. The week-over-week change compares the 7 days ending with the period to the 7
days before; the clusters are found over both weeks at once, so the two counts are of one theme.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.digest.model import Theme
from bot.ports.embeddings import Vectors
from bot.ports.records import ThemeRow
from bot.signal.themes import Cluster, find_clusters

TOP_TAGS = 5
TOP_CLUSTERS = 5
MIN_ITEMS = 2


@dataclass(frozen=True, slots=True)
class Windows:
    """Where an arrival time falls: the period, this week (ending with it), or the week before."""

    period_start: datetime
    week_start: datetime
    last_week_start: datetime

    def of(self, at: datetime) -> tuple[bool, bool, bool]:
        this_week = at >= self.week_start
        return at >= self.period_start, this_week, not this_week and at >= self.last_week_start


class _Tally:
    """Mentions per label in each window."""

    def __init__(self) -> None:
        self.period: Counter[str] = Counter()
        self.this_week: Counter[str] = Counter()
        self.last_week: Counter[str] = Counter()

    def add(self, labels: Iterable[str], where: tuple[bool, bool, bool]) -> None:
        for counter, inside in zip(
            (self.period, self.this_week, self.last_week), where, strict=True
        ):
            if inside:
                counter.update(labels)


def find_themes(
    rows: Sequence[ThemeRow], vectors: Vectors, windows: Windows, scale: int = 1
) -> tuple[Theme, ...]:
    """Top tags, then the largest clusters, of the period; `vectors[i]` is `rows[i]`'s, and
    `scale` undoes a sample's stride.

    The two-item minimum applies to the items read, before scaling: a sample's one item is
    still one item.
    """
    tags = _Tally()
    for row in rows:
        tags.add(set(row.tags), windows.of(row.arrived))
    shared_tags = [label for label, count in tags.period.most_common() if count >= MIN_ITEMS]
    tag_themes = [
        Theme(
            label,
            "tag",
            tags.period[label] * scale,
            tags.this_week[label] * scale,
            tags.last_week[label] * scale,
        )
        for label in shared_tags[:TOP_TAGS]
    ]
    clusters = [
        c for c in find_clusters(rows, vectors) if len(c.within(windows.period_start)) >= MIN_ITEMS
    ]
    clusters.sort(key=lambda c: -len(c.within(windows.period_start)))
    return tuple(tag_themes + [_theme(c, windows, scale) for c in clusters[:TOP_CLUSTERS]])


def _theme(cluster: Cluster, windows: Windows, scale: int) -> Theme:
    this_week = cluster.within(windows.week_start)
    return Theme(
        cluster.label,
        "cluster",
        len(cluster.within(windows.period_start)) * scale,
        len(this_week) * scale,
        len(cluster.within(windows.last_week_start, windows.week_start)) * scale,
        examples=cluster.examples(windows.period_start),
        items=frozenset(row.feedback_id for row in cluster.within(windows.period_start)),
    )
