"""Sentiment (VADER, offline) and the three customer quotes that stand for the period.

VADER is a rule-based lexicon shipped inside its package: no model download, no network, the
same answer on every machine. A quote is chosen per mood, largest mood first, preferring items
that mention the period's themes and texts short enough to read at a glance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bot.digest.model import Quote, SentimentMix, Theme
from bot.digest.render import shorten
from bot.digest.themes import text_of, words
from bot.domain import ref_for
from bot.ports.records import ThemeRow

QUOTES = 3
QUOTE_CHARS = 180
POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
_THRESHOLD = 0.05  # VADER's own recommended cut-off for its compound score
_EMAIL = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+")
_LONG_NUMBER = re.compile(r"\d[\d -]{6,}\d")


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def mood(text: str) -> str:
    compound = float(_analyzer().polarity_scores(text)["compound"])
    if compound >= _THRESHOLD:
        return POSITIVE
    return NEGATIVE if compound <= -_THRESHOLD else NEUTRAL


@dataclass(frozen=True, slots=True)
class Scored:
    row: ThemeRow
    mood: str


def score(rows: Sequence[ThemeRow]) -> list[Scored]:
    return [Scored(row, mood(text_of(row))) for row in rows]


def mix(scored: Sequence[Scored], scale: int = 1) -> SentimentMix:
    moods = [s.mood for s in scored]
    return SentimentMix(
        moods.count(POSITIVE) * scale, moods.count(NEUTRAL) * scale, moods.count(NEGATIVE) * scale
    )


def pick_quotes(
    scored: Sequence[Scored], themes: Sequence[Theme], *, mask: bool
) -> tuple[Quote, ...]:
    """Up to three quotes: one per mood (largest mood first), topping up from any mood."""
    ranked = sorted(scored, key=lambda s: _rank(s.row, themes))
    by_mood = {m: [s for s in ranked if s.mood == m] for m in (NEGATIVE, NEUTRAL, POSITIVE)}
    order = sorted(by_mood, key=lambda m: -len(by_mood[m]))
    picked = [by_mood[m][0] for m in order if by_mood[m]]
    picked += [s for s in ranked if s not in picked]
    return tuple(_quote(s, mask) for s in picked[:QUOTES])


def _rank(row: ThemeRow, themes: Sequence[Theme]) -> tuple[int, int, int]:
    text = " ".join(words(text_of(row)))
    hits = sum(
        1
        for theme in themes
        if (theme.label in row.tags if theme.source == "tag" else theme.label in text)
    )
    return (-hits, len(row.body) > QUOTE_CHARS, row.feedback_id)


def _quote(scored: Scored, mask: bool) -> Quote:
    row = scored.row
    text = " ".join(row.body.split())
    customer = row.customer_name
    if mask:
        text = _LONG_NUMBER.sub("[number]", _EMAIL.sub("[email]", text))
        if customer:
            text = _mask_name(text, customer)
            customer = initials(customer)
    return Quote(
        text=shorten(text, QUOTE_CHARS),
        ref=ref_for(row.feedback_id),
        source=row.source,
        customer=customer,
        sentiment=scored.mood,
        url=row.url,
    )


def initials(name: str) -> str:
    return " ".join(f"{part[0].upper()}." for part in name.split() if part)


def _mask_name(text: str, name: str) -> str:
    for part in sorted(name.split(), key=len, reverse=True):
        if len(part) > 1:
            text = re.sub(rf"\b{re.escape(part)}\b", f"{part[0].upper()}.", text, flags=re.I)
    return text
