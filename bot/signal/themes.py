"""Themes of a stretch of feedback: items clustered by meaning, each theme named by its words,
shown with the items closest to its centre.

The caller decides the windows (a period and the one before, or a digest's weeks): themes are
found over all the rows it passes, so a theme's count before and now come from one clustering
and compare like with like.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from bot.ports.embeddings import Vectors
from bot.ports.records import ThemeRow
from bot.signal.clustering import centres, cluster
from bot.signal.labels import label_themes
from bot.signal.text import text_of

EXAMPLES = 2
CENTRAL = 5


@dataclass(frozen=True, slots=True)
class Cluster:
    """One theme: its label and its items, the most typical (nearest its centre) first."""

    label: str
    rows: tuple[ThemeRow, ...]

    def within(self, start: datetime, end: datetime | None = None) -> list[ThemeRow]:
        return [r for r in self.rows if r.arrived >= start and (end is None or r.arrived < end)]

    def examples(self, start: datetime) -> tuple[str, ...]:
        """The shortest of the most typical items since `start`, each text once: quick to read,
        on topic."""
        central = {" ".join(text_of(r).split()) for r in self.within(start)[:CENTRAL]}
        return tuple(sorted(central, key=lambda text: (len(text), text))[:EXAMPLES])


def find_clusters(rows: Sequence[ThemeRow], vectors: Vectors) -> list[Cluster]:
    """`vectors[i]` is the vector of `rows[i]`; clusters come largest first."""
    if not rows:
        return []
    labels = cluster(vectors)
    middle = centres(vectors, labels)
    closeness = np.einsum("ij,ij->i", vectors, middle[labels])
    members: list[list[int]] = [[] for _ in range(len(middle))]
    for index in np.argsort(-closeness, kind="stable"):
        members[int(labels[index])].append(int(index))
    members = sorted((m for m in members if m), key=lambda m: (-len(m), m[0]))
    names = label_themes([[text_of(rows[i]) for i in group] for group in members])
    return [
        Cluster(name, tuple(rows[i] for i in group))
        for name, group in zip(names, members, strict=True)
    ]


def change_text(now: int, before: int) -> str:
    """A change as people say it: "+40%", "-25%", "new"."""
    if before == 0:
        return "new" if now else "+0%"
    return f"{round(100 * (now - before) / before):+d}%"
