"""`/allhands …`: the shared command layer answers; this module only reads and renders.

Every answer is ephemeral mrkdwn, all of its text escaped; `config` answers with the settings
modal instead, opened with the request's trigger id (it lives 3 seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.models.blocks import Block, SectionBlock

from bot.commands.answers import Answer
from bot.commands.console import Console
from bot.commands.guide import Guide
from bot.commands.runner import CommandRunner
from handlers.slack.blocks import Mentions, card, item_rows, verbatim
from handlers.slack.config import SettingsForm
from handlers.slack.ids import SlackId
from handlers.slack.inbound import Body, Inbound
from handlers.slack.text import escape


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
        shown = answer.shown
        mentions = await self._in.people.mentions_for(shown.item) if shown else {}
        reply = render(answer, mentions)
        assert context.respond is not None  # slash commands always carry a response_url
        await context.respond(
            text=reply.text, blocks=reply.blocks or None, response_type="ephemeral"
        )


def render(answer: Answer, mentions: Mentions) -> Reply:
    """The answer as Slack shows it: an item's card, a list with Claim buttons, or text."""
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


def help_text(guide: Guide) -> str:
    command = SlackId.COMMAND
    lines = [
        f"*{command}* — {guide.about}:",
        *(f"• `{command} {usage.typed}` {usage.does}" for usage in guide.usages),
        guide.also,
    ]
    return escape("\n".join(lines))
