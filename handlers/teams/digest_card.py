"""The digest as an Adaptive Card 1.5: a pure function from the view model to card JSON.

Every piece of text is cut to a fixed length and every list is bounded by the view model, so
the card stays well inside Teams' 28 KB message limit whatever the data; the chart is embedded
as a data URI only while the whole card still fits `CARD_BUDGET_BYTES`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

from bot.digest.model import Digest, OpenItem
from bot.digest.render import (
    ISSUES_HEADING,
    SHIFTS_HEADING,
    all_hands,
    count_text,
    counts,
    duration,
    fixed_line,
    helper_figures,
    issue_figures,
    medians,
    more_helpers,
    quiet_line,
    quote_credit,
    sentiment_text,
    shift_text,
    shown_shifts,
    subtitle,
    thanks_heading,
    theme_figures,
    theme_label,
    title,
    waiting_heading,
)
from handlers.teams.cards import SCHEMA_URL, VERSION, Verb, plain

CARD_BUDGET_BYTES = 26_000  # Teams refuses messages over about 28 KB
LABEL_CHARS = 80
LINE_CHARS = 300
QUOTE_CHARS = 400
DIGEST_ORIGIN = "digest"  # in a Claim's data, so the bot can tell a digest click from a card's


def digest_card(digest: Digest, chart: bytes | None = None) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        _text(title(digest), size="Large", weight="Bolder"),
        _text(subtitle(digest), subtle=True),
    ]
    if shifts := shown_shifts(digest):
        body.append(_heading(SHIFTS_HEADING))
        body += [_text(plain(f"• {shift_text(s)}", LINE_CHARS)) for s in shifts]
    lead = len(body)
    if digest.quiet:
        body.append(_text(quiet_line(digest)))
    else:
        body += _activity(digest)
    body += _waiting(digest)
    body += _fixes(digest)
    body.append(_text(all_hands(digest), weight="Bolder"))
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA_URL,
        "version": VERSION,
        "fallbackText": plain(title(digest), LINE_CHARS),
        "body": body,
    }
    if chart and not digest.quiet:
        with_chart = {**card, "body": [*body[:lead], _chart(chart), *body[lead:]]}
        if len(json.dumps(with_chart)) <= CARD_BUDGET_BYTES:
            return with_chart
    return card


def _activity(digest: Digest) -> list[dict[str, Any]]:
    blocks = [
        _facts((label, count_text(count)) for label, count in counts(digest)),
        _text(medians(digest), subtle=True),
    ]
    if digest.themes:
        blocks.append(_heading("Themes"))
        blocks.append(_facts((theme_label(t), theme_figures(t)) for t in digest.themes))
    blocks.append(_text(sentiment_text(digest), subtle=True))
    if digest.quotes:
        blocks.append(_heading("What customers said"))
        for quote in digest.quotes:
            blocks.append(_text(f"“{plain(quote.text, QUOTE_CHARS)}”"))
            blocks.append(_text(plain(quote_credit(quote), LINE_CHARS), subtle=True))
    if digest.helpers:
        blocks.append(_heading(thanks_heading(digest)))
        blocks.append(_facts((h.name, helper_figures(h)) for h in digest.helpers))
        blocks += [_text(more, subtle=True) for more in [more_helpers(digest)] if more]
    return blocks


def _waiting(digest: Digest) -> list[dict[str, Any]]:
    if not digest.oldest_open:
        return []
    return [_heading(waiting_heading(digest)), *map(_open, digest.oldest_open)]


def _fixes(digest: Digest) -> list[dict[str, Any]]:
    """Fixes shipped with customers to tell, and the open issues most customers wait on."""
    fixes = digest.fixes
    blocks = [
        _text(plain(shipped, LINE_CHARS), weight="Bolder")
        for shipped in [fixed_line(fixes)]
        if shipped
    ]
    if fixes.top:
        blocks.append(_heading(ISSUES_HEADING))
        blocks.append(_facts((i.title, issue_figures(i)) for i in fixes.top))
    return blocks


def _open(item: OpenItem) -> dict[str, Any]:
    claim = {
        "type": "Action.Execute",
        "title": "Claim",
        "verb": Verb.CLAIM.value,
        "data": {"ref": item.ref, "origin": DIGEST_ORIGIN},
        "style": "positive",
    }
    line = (
        f"**{item.ref}** {plain(item.title, LINE_CHARS)} · waiting {duration(item.waiting_minutes)}"
    )
    return {
        "type": "ColumnSet",
        "columns": [
            {"type": "Column", "width": "stretch", "items": [_text(line)]},
            {
                "type": "Column",
                "width": "auto",
                "items": [{"type": "ActionSet", "actions": [claim]}],
            },
        ],
    }


def _chart(png: bytes) -> dict[str, Any]:
    return {
        "type": "Image",
        "url": "data:image/png;base64," + base64.b64encode(png).decode(),
        "altText": "New feedback per day by kind, and the open backlog, over 14 days",
        "size": "Stretch",
    }


def _heading(text: str) -> dict[str, Any]:
    return _text(text, weight="Bolder", size="Medium")


def _facts(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "FactSet",
        "facts": [
            {"title": plain(k, LABEL_CHARS), "value": plain(v, LINE_CHARS)} for k, v in pairs
        ],
    }


def _text(text: str, **style: Any) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": text, "wrap": True}
    if style.pop("subtle", False):
        block["isSubtle"] = True
    block.update(style)
    return block
