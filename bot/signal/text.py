"""Words of customer text as the signal reads them: lower-case, filler words known."""

from __future__ import annotations

import re

from bot.ports.records import ThemeRow

_WORD = re.compile(r"[a-z0-9][a-z0-9']*")
_FILLER = """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just let me more most my myself no nor not now of off on once only or other our
    ours out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself still already also please hi
    hello thanks thank get got i'm i've it's don't can't didn't im ive dont cant didnt one"""
STOPWORDS = frozenset(_FILLER.split())


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def text_of(row: ThemeRow) -> str:
    return item_text(row.title, row.body)


def item_text(title: str | None, body: str) -> str:
    """What an item says, as embedded: its title, then its words."""
    return f"{title}. {body}" if title else body
