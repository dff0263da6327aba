"""Text from customers and colleagues, made inert for Slack's mrkdwn and cut to Slack's limits.

Escaping `&`, `<` and `>` turns `<!channel>`, `<@U123>` and `<https://evil|click>` into plain
characters; a word joiner after `@` keeps a bare `@here` from ever being read as a broadcast.
Limits are counted on the escaped text, because that is what Slack measures, and in UTF-16
units, so emoji-heavy text stays within them however Slack counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

ELLIPSIS = "…"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Customer text as inert mrkdwn: no mention, link or broadcast survives."""
    return "".join(_ESCAPES.get(char, char) for char in _defused(text))


def escaped_pieces(text: str, limit: int) -> Iterator[str]:
    """`escape(text)` in pieces of at most `limit` characters, never splitting an entity."""
    piece: list[str] = []
    size = 0
    for raw in _defused(text):
        char = _ESCAPES.get(raw, raw)
        units = len(char) if raw.isascii() else len(raw.encode("utf-16-le")) // 2
        if size + units > limit:
            yield "".join(piece)
            piece, size = [], 0
        piece.append(char)
        size += units
    if piece:
        yield "".join(piece)


def escaped_preview(text: str, limit: int) -> tuple[str, bool]:
    """The start of `escape(text)` within `limit` characters, and whether some was left out."""
    pieces = escaped_pieces(text, limit - len(ELLIPSIS))
    first = next(pieces, "")
    if next(pieces, None) is None:
        return first, False
    return first + ELLIPSIS, True


def shorten(text: str, limit: int) -> str:
    """Cut raw text to `limit` characters, ending in "…" when anything was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


def one_line(text: str, limit: int) -> str:
    return shorten(" ".join(text.split()), limit)


def _defused(text: str) -> str:
    """`@here` → `@\u2060here`: reads the same, notifies nobody."""
    return _BROADCAST.sub(lambda match: f"@\u2060{match.group(1)}", text)
