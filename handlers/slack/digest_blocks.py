"""The digest as a Block Kit message, built from typed `slack_sdk` models.

Typed blocks check Slack's per-field limits when serialised; the message-level limits slack_sdk
never checks (50 blocks, 3,000 characters per section, 10 fields) are held here by construction:
the view model bounds every list, and every piece of text is escaped and cut before it is used.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.digest.model import Digest, OpenItem
from bot.digest.render import (
    ISSUES_HEADING,
    SHIFTS_HEADING,
    all_hands,
    count_text,
    counts,
    duration,
    fixed_line,
    helper_text,
    issue_text,
    medians,
    more_helpers,
    quiet_line,
    quote_credit,
    sentiment_text,
    shift_text,
    shorten,
    shown_shifts,
    subtitle,
    thanks_heading,
    theme_text,
    title,
    waiting_heading,
)
from handlers.slack.ids import SlackId
from handlers.slack.text import escaped_preview

MAX_BLOCKS = 50
HEADER_CHARS = 150
SECTION_CHARS = 3_000
LINE_CHARS = 280
FALLBACK_CHARS = 3_000


def mrkdwn(text: str, limit: int = LINE_CHARS) -> str:
    """Text from customers or colleagues on one line, inert in mrkdwn, within `limit`."""
    return escaped_preview(" ".join(text.split()), limit)[0]


def digest_blocks(digest: Digest) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=shorten(title(digest), HEADER_CHARS)),
        _context(subtitle(digest)),
    ]
    if shifts := shown_shifts(digest):
        blocks.append(_list(SHIFTS_HEADING, [mrkdwn(shift_text(s)) for s in shifts]))
    if digest.quiet:
        blocks.append(_section(quiet_line(digest)))
    else:
        blocks += _activity(digest)
    blocks += _waiting(digest)
    blocks += _fixes(digest)
    blocks.append(_context(all_hands(digest)))
    assert len(blocks) <= MAX_BLOCKS, "the view model bounds every list"
    return blocks


def digest_message(digest: Digest) -> dict[str, Any]:
    """`chat.postMessage` arguments: blocks plus the notification and screen-reader text."""
    return {
        "text": shorten(f"{title(digest)}: {_summary(digest)}", FALLBACK_CHARS),
        "blocks": [block.to_dict() for block in digest_blocks(digest)],
    }


def _summary(digest: Digest) -> str:
    return ", ".join(f"{label} {count.value}" for label, count in counts(digest))


def _activity(digest: Digest) -> list[Block]:
    blocks: list[Block] = [
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*{label}*\n{count_text(count)}")
                for label, count in counts(digest)
            ]
        ),
        _context(medians(digest)),
        DividerBlock(),
    ]
    if digest.themes:
        blocks.append(_list("Themes", [mrkdwn(theme_text(t)) for t in digest.themes]))
    blocks.append(_context(sentiment_text(digest)))
    for quote in digest.quotes:
        blocks.append(_section(f"> {mrkdwn(quote.text)}\n— {mrkdwn(quote_credit(quote))}"))
    if digest.helpers:
        thanks = [mrkdwn(helper_text(h)) for h in digest.helpers]
        thanks += [more for more in [more_helpers(digest)] if more]
        blocks.append(_list(thanks_heading(digest), thanks))
    return blocks


def _waiting(digest: Digest) -> list[Block]:
    if not digest.oldest_open:
        return []
    return [
        DividerBlock(),
        _section(f"*{waiting_heading(digest)}*"),
        *(_open(item) for item in digest.oldest_open),
    ]


def _fixes(digest: Digest) -> list[Block]:
    """Fixes shipped with customers to tell, and the open issues most customers wait on."""
    fixes = digest.fixes
    if fixes.empty:
        return []
    blocks: list[Block] = [DividerBlock()]
    if shipped := fixed_line(fixes):
        blocks.append(_section(f"*{mrkdwn(shipped)}*"))
    if fixes.top:
        blocks.append(_list(ISSUES_HEADING, [mrkdwn(issue_text(i)) for i in fixes.top]))
    return blocks


def _open(item: OpenItem) -> SectionBlock:
    return SectionBlock(
        text=MarkdownTextObject(
            text=f"*{item.ref}* {mrkdwn(item.title)} · waiting {duration(item.waiting_minutes)}"
        ),
        accessory=ButtonElement(
            text="Claim", action_id=SlackId.CLAIM.value, value=item.ref, style="primary"
        ),
    )


def _list(heading: str, lines: list[str]) -> SectionBlock:
    text = f"*{heading}*\n" + "\n".join(f"• {line}" for line in lines)
    return _section(text)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=shorten(text, SECTION_CHARS)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=shorten(text, SECTION_CHARS))])
