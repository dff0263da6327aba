"""`/allhands …` and `@All Hands …`: the shared command layer answers; this module only reads
and renders.

Every answer is ephemeral mrkdwn, all of its text escaped; `/allhands config` answers with the
settings modal instead, opened with the request's trigger id (it lives 3 seconds). A mention is
recorded in the inbox like every event and answered from there, only to the person who wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, SectionBlock

from bot.commands.answers import Answer, Found
from bot.commands.console import Console
from bot.commands.guide import Guide
from bot.commands.runner import CommandRunner
from bot.domain import Platform
from handlers.slack.blocks import TITLE_CHARS, Mentions, card, item_rows, verbatim
from handlers.slack.config import SettingsForm
from handlers.slack.ids import SlackId
from handlers.slack.inbound import Body, Inbound
from handlers.slack.text import escape, one_line

SNIPPET_CHARS = 200
# `<@U123>` (or `<@U123|name>`): the mention of the bot that starts the command's text; other
# mentions after it are the command's own words.
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>")


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    blocks: list[Block] = field(default_factory=list)


class Commands:
    def __init__(self, inbound: Inbound, console: Console, settings: SettingsForm) -> None:
        self._in = inbound
        self._runner = CommandRunner(inbound.desk, console)
        self._settings = settings

    def register(self, app: AsyncApp) -> None:
        app.command(SlackId.COMMAND)(self._in.acked(self._command))

    async def _command(self, body: Body, context: AsyncBoltContext) -> None:
        who = await self._in.who(context)
        answer = await self._in.core(self._runner.answer, str(body.get("text") or ""), who)
        if answer.settings is not None:
            channel = str(body.get("channel_id") or "")
            await self._settings.open(body["trigger_id"], answer.settings, channel)
            return
        reply = await self._rendered(answer)
        assert context.respond is not None  # slash commands always carry a response_url
        await context.respond(
            text=reply.text, blocks=reply.blocks or None, response_type="ephemeral"
        )

    async def mention(self, body: Body, context: AsyncBoltContext) -> None:
        """`@All Hands <command>` in a channel: answered like `/allhands`, in the same place
        (its thread, if any) and seen only by the person who asked."""
        event = body["event"]
        text = _LEADING_MENTION.sub("", str(event.get("text") or ""))
        who = await self._in.who(context)
        answer = await self._in.core(self._runner.answer, text, who)
        reply = await self._rendered(answer)
        thread = event.get("thread_ts")
        await self._in.tell(
            context.user_id or str(event.get("user")),
            str(event.get("channel") or "") or None,
            reply.text,
            blocks=reply.blocks or None,
            **({"thread_ts": thread} if thread else {}),
        )

    async def _rendered(self, answer: Answer) -> Reply:
        shown = answer.shown
        mentions = await self._in.people.mentions_for(shown.item) if shown else {}
        links = await self._permalinks(answer.found) if answer.found else {}
        return render(answer, mentions, links)

    async def _permalinks(self, found: Found) -> dict[int, str]:
        """Each found item's Slack card, as a link (an item with no card here has none)."""
        links: dict[int, str] = {}
        for item_id, copies in found.cards.items():
            posted = [c for c in copies if c.platform is Platform.SLACK and c.extra.get("ts")]
            if not posted:
                continue
            try:
                answer = await self._in.client.chat_getPermalink(
                    channel=posted[0].channel, message_ts=str(posted[0].extra["ts"])
                )
            except SlackApiError:
                continue
            links[item_id] = str(answer["permalink"])
        return links


def render(answer: Answer, mentions: Mentions, links: Mapping[int, str] | None = None) -> Reply:
    """The answer as Slack shows it: an item's card, a list with Claim buttons, search results
    linked to their cards (`links`: item id → permalink), or text."""
    if answer.found is not None:
        return Reply(escape(answer.text), found_rows(answer.found, links or {}))
    if answer.shown is not None:
        shown = card(answer.shown.item, mentions)
        return Reply(shown.text, shown.blocks)
    if answer.listing is not None:
        listing = answer.listing
        head = SectionBlock(text=verbatim(f"*{escape(listing.heading)}*"))
        rows = item_rows(listing.items, claim_buttons=listing.claim_buttons)
        return Reply(escape(answer.text), [head, *rows])
    lines = [escape(answer.text)] if answer.text else []
    if answer.guide is not None:
        lines.append(help_text(answer.guide))
    return Reply("\n".join(lines))


def found_rows(found: Found, links: Mapping[int, str]) -> list[Block]:
    """The heading, then one section per item: its ref (linked to its card), state and title,
    and the start of what the customer said."""
    rows: list[Block] = [SectionBlock(text=verbatim(f"*{escape(found.heading)}*"))]
    for item in found.items:
        ref = f"<{links[item.id]}|{item.ref}>" if item.id in links else item.ref
        title = escape(one_line(item.title or item.body, TITLE_CHARS))
        snippet = escape(one_line(item.body, SNIPPET_CHARS)) if item.title else ""
        text = f"*{ref}* · {item.state.value} · {title}" + (f"\n{snippet}" if snippet else "")
        rows.append(SectionBlock(text=verbatim(text)))
    return rows


def help_text(guide: Guide) -> str:
    command = SlackId.COMMAND
    lines = [
        f"*{command}* — {guide.about}:",
        *(f"• `{command} {usage.typed}` {usage.does}" for usage in guide.usages),
        guide.also,
    ]
    return escape("\n".join(lines))
