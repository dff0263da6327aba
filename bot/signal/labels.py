"""Names for themes: the words that set each theme apart from the others (class-based TF-IDF).

A word scores high in a theme when it is frequent among the theme's items and rare across the
other themes, so "card" in a bank's feedback names no theme, while "pin" or "refund" does.
Each word counts once per item, so one long message cannot name a theme.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from bot.signal.text import STOPWORDS, words

LABEL_WORDS = 3


def label_themes(texts_by_theme: Sequence[Sequence[str]]) -> list[str]:
    """A short label per theme, its most characteristic words first, joined by commas."""
    counts = [
        Counter(word for text in texts for word in set(words(text)) - STOPWORDS if len(word) > 1)
        for texts in texts_by_theme
    ]
    overall: Counter[str] = Counter()
    for counter in counts:
        overall.update(counter)
    average = sum(overall.values()) / max(1, len(counts))
    labels = []
    for counter in counts:
        total = max(1, sum(counter.values()))
        scored = sorted(
            counter,
            key=lambda w: (-counter[w] / total * math.log(1 + average / overall[w]), w),
        )
        labels.append(", ".join(scored[:LABEL_WORDS]) or "(no words)")
    return labels
