"""Sentiment (VADER, offline) and the three customer quotes that stand for the period.

VADER is a rule-based lexicon shipped inside its package: no model download, no network, the
same answer on every machine. Its lexicon knows "crash" but not "crashes", and no words can
tell it that a calmly worded bug report is bad news; so it gets a few words of product support,
and the item's kind and severity lean the score (a complaint, a bug or an urgent item towards
negative, praise towards positive) before it is read as a mood.

A quote is chosen per mood, largest mood first, preferring items that mention the period's
themes and texts short enough to read at a glance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from bot.digest.model import Quote, SentimentMix, Theme
from bot.digest.render import shorten
from bot.domain import Kind, Severity, ref_for
from bot.ports.records import ThemeRow
from bot.signal.text import text_of

QUOTES = 3
QUOTE_CHARS = 180
POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
_THRESHOLD = 0.05  # VADER's own recommended cut-off for its compound score
# Valences on VADER's scale (-4 to 4) for words its lexicon lacks, or reads as a mood-free word.
SUPPORT_WORDS = {
    "crashes": -1.7,
    "crashed": -1.7,
    "crashing": -1.7,
    "bug": -1.5,
    "buggy": -1.8,
    "freezes": -1.5,
    "freezing": -1.5,
    "frozen": -1.5,
    "glitch": -1.3,
    "outage": -2.0,
    "unusable": -2.5,
    "declined": -1.0,
    "timeout": -1.2,
    "slow": -1.0,
    "laggy": -1.2,
}
KIND_LEAN = {
    Kind.COMPLAINT: -0.6,
    Kind.BUG: -0.4,
    Kind.QUESTION: 0.0,
    Kind.FEEDBACK: 0.0,
    Kind.PRAISE: 0.6,
}
SEVERITY_LEAN = {
    Severity.LOW: 0.0,
    Severity.NORMAL: 0.0,
    Severity.HIGH: -0.2,
    Severity.URGENT: -0.4,
}
_EMAIL = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+")
_LONG_NUMBER = re.compile(r"\d[\d -]{6,}\d")


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(SUPPORT_WORDS)
    return analyzer


def mood(text: str, kind: Kind, severity: Severity) -> str:
    """The words' compound score (-1 to 1), leaned by kind and severity, read as a mood."""
    compound = float(_analyzer().polarity_scores(text)["compound"])
    leaned = compound + KIND_LEAN[kind] + SEVERITY_LEAN[severity]
    if leaned >= _THRESHOLD:
        return POSITIVE
    return NEGATIVE if leaned <= -_THRESHOLD else NEUTRAL


@dataclass(frozen=True, slots=True)
class Scored:
    row: ThemeRow
    mood: str


def score(rows: Sequence[ThemeRow]) -> list[Scored]:
    return [Scored(row, mood(text_of(row), row.kind, row.severity)) for row in rows]


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
    hits = sum(
        1
        for theme in themes
        if (theme.label in row.tags if theme.source == "tag" else row.feedback_id in theme.items)
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
