"""Themes without an external service: top tags, and phrases that recur across items.

A theme is something at least two items of the period share: one customer is an anecdote, and
a change from one mention to two is no trend. A phrase is two to four words, counted once per
item (so one long rant cannot make a theme), never starting or ending with a filler word. The
week-over-week change compares the 7 days ending with the period to the 7 days before.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.digest.model import Theme
from bot.ports.records import ThemeRow

TOP_TAGS = 5
TOP_PHRASES = 5
MIN_ITEMS = 2
PHRASE_WORDS = (2, 3, 4)
_WORD = re.compile(r"[a-z0-9][a-z0-9']*")
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "still",
        "already",
        "also",
        "please",
        "hi",
        "hello",
        "thanks",
        "thank",
        "get",
        "got",
        "i'm",
        "i've",
        "it's",
        "don't",
        "can't",
        "didn't",
        "im",
        "ive",
        "dont",
        "cant",
        "didnt",
        "one",
    ]
)


@dataclass(frozen=True, slots=True)
class Windows:
    """Where an arrival time falls: the period, this week (ending with it), or the week before."""

    period_start: datetime
    week_start: datetime
    last_week_start: datetime

    def of(self, at: datetime) -> tuple[bool, bool, bool]:
        this_week = at >= self.week_start
        return at >= self.period_start, this_week, not this_week and at >= self.last_week_start


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def phrases(text: str) -> set[str]:
    """The candidate phrases of one text: 2- to 4-word runs framed by content words."""
    found: set[str] = set()
    tokens = words(text)
    for size in PHRASE_WORDS:
        for start in range(len(tokens) - size + 1):
            gram = tokens[start : start + size]
            if gram[0] not in STOPWORDS and gram[-1] not in STOPWORDS:
                found.add(" ".join(gram))
    return found


def text_of(row: ThemeRow) -> str:
    return f"{row.title}. {row.body}" if row.title else row.body


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

    def theme(self, label: str, source: str, scale: int) -> Theme:
        return Theme(
            label,
            source,
            self.period[label] * scale,
            self.this_week[label] * scale,
            self.last_week[label] * scale,
        )


def find_themes(rows: Sequence[ThemeRow], windows: Windows, scale: int = 1) -> tuple[Theme, ...]:
    """Top tags, then top recurring phrases, of the period; `scale` undoes a sample's stride.

    The two-item minimum applies to the items read, before scaling: a sample's one item is
    still one item.
    """
    tags, texts = _Tally(), _Tally()
    for row in rows:
        where = windows.of(row.arrived)
        tags.add(set(row.tags), where)
        texts.add(phrases(text_of(row)), where)
    shared_tags = [label for label, count in tags.period.most_common() if count >= MIN_ITEMS]
    top_tags = shared_tags[:TOP_TAGS]
    recurring = [
        (label, count)
        for label, count in texts.period.items()
        if count >= MIN_ITEMS and label not in top_tags
    ]
    return tuple(
        [tags.theme(label, "tag", scale) for label in top_tags]
        + [texts.theme(label, "phrase", scale) for label in _distinct_phrases(recurring)]
    )


def _distinct_phrases(counted: list[tuple[str, int]]) -> list[str]:
    """Most frequent first, longer first on ties; a phrase inside a chosen one adds nothing."""
    chosen: list[str] = []
    for label, _ in sorted(counted, key=lambda pair: (-pair[1], -len(pair[0]), pair[0])):
        if not any(label in other or other in label for other in chosen):
            chosen.append(label)
        if len(chosen) == TOP_PHRASES:
            break
    return chosen
