"""The themes of a period, each beside its size in the period of equal length before it.

Both periods are clustered together, so "before" counts the same theme, not a look-alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain import ref_for
from bot.ports.clock import Clock
from bot.ports.embeddings import Embedder
from bot.ports.store import Store
from bot.signal.themes import change_text, find_clusters
from bot.signal.vectors import item_vectors

MIN_ITEMS = 2


@dataclass(frozen=True, slots=True)
class PeriodTheme:
    """A theme of the period: its label, its items (refs), how many the period before had."""

    label: str
    refs: tuple[str, ...]
    previous: int
    examples: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.refs)

    @property
    def change(self) -> str:
        return change_text(self.size, self.previous)


def period_themes(
    db: Store, embedder: Embedder, clock: Clock, start: datetime, end: datetime
) -> list[PeriodTheme]:
    """Themes of the items that arrived in [start, end) shared by at least `MIN_ITEMS` of them,
    largest first."""
    before = start - (end - start)
    with db.read() as uow:
        rows = uow.digest.arrivals(before, end, 1)
    clusters = find_clusters(rows, item_vectors(db, embedder, rows, clock.now()))
    themes = [
        PeriodTheme(
            cluster.label,
            tuple(ref_for(row.feedback_id) for row in cluster.within(start)),
            len(cluster.within(before, start)),
            cluster.examples(start),
        )
        for cluster in clusters
    ]
    shared = [theme for theme in themes if theme.size >= MIN_ITEMS]
    return sorted(shared, key=lambda theme: -theme.size)
