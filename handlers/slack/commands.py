"""`/allhands …`: every answer is ephemeral, and a mistake gets a line that says what to type."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.models.blocks import Block, SectionBlock

from bot.commands.console import ChatCommand, Console
from bot.domain import Feedback, Identity, State
from bot.errors import AllHandsError, Invalid
from bot.intake import FeedbackDraft
from bot.ports.records import ListFilter
from handlers.slack.blocks import card, item_rows, verbatim
from handlers.slack.config import SettingsForm
from handlers.slack.ids import SlackId
from handlers.slack.inbound import Body, Inbound
from handlers.slack.text import escape, one_line

LIST_LIMIT = 10
SOURCE = "slack"
ROUTES_USAGE = f"Try `{SlackId.COMMAND} routes test <text>`: where feedback with it would go."


HELP = "\n".join(
    [
        f"*{SlackId.COMMAND}* — customer feedback, worked by everyone:",
        f"• `{SlackId.COMMAND} log <text>` log what a customer said",
        f"• `{SlackId.COMMAND} mine` the items you hold",
        f"• `{SlackId.COMMAND} open` the oldest items nobody holds yet",
        f"• `{SlackId.COMMAND} show FB-12` one item's card",
        f"• `{SlackId.COMMAND} claim FB-12`, `close FB-12 what was done`, `reopen FB-12`",
        f"• `{SlackId.COMMAND} stats` how many items are open, claimed and closed",
        f"• `{SlackId.COMMAND} config` the settings (support leads can change them there)",
        f"• `{SlackId.COMMAND} routes test <text>` where feedback with that text would go",
        f"• `{SlackId.COMMAND} rota` who is on support now, and who is next",
        f"• `{SlackId.COMMAND} audit` the latest configuration changes",
        "Or use *Log as customer feedback* from any message's menu.",
    ]
)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    blocks: list[Block] = field(default_factory=list)


class Commands:
    def __init__(self, inbound: Inbound, console: Console, settings: SettingsForm) -> None:
        self._in = inbound
        self._console = console
        self._settings = settings

    def register(self, app: AsyncApp) -> None:
        app.command(SlackId.COMMAND)(self._in.acked(self._command))

    async def _command(self, body: Body, context: AsyncBoltContext) -> None:
        words = str(body.get("text") or "").split(maxsplit=1)
        verb = words[0].lower() if words else ChatCommand.HELP
        rest = words[1].strip() if len(words) > 1 else ""
        who = await self._in.who(context)
        if verb == ChatCommand.CONFIG:  # a modal answers: the trigger id lives 3 seconds
            await self._settings.open(body["trigger_id"], who, str(body.get("channel_id") or ""))
            return
        try:
            reply = await self._answer(verb, rest, who)
        except AllHandsError as error:
            reply = Reply(error.message)
        assert context.respond is not None  # slash commands always carry a response_url
        await context.respond(
            text=reply.text, blocks=reply.blocks or None, response_type="ephemeral"
        )

    async def _answer(self, verb: str, rest: str, who: Identity) -> Reply:
        desk, core = self._in.desk, self._in.core
        if verb not in ChatCommand.__members__.values():
            return Reply(f"I don't know `{escape(one_line(verb, 40))}`.\n{HELP}")
        match ChatCommand(verb):
            case ChatCommand.HELP:
                return Reply(HELP)
            case ChatCommand.LOG:
                if not rest:
                    raise Invalid(f"Say what the customer said: `{SlackId.COMMAND} log <text>`.")
                ingested = await core(desk.ingest, FeedbackDraft(source=SOURCE, body=rest), who)
                return Reply(f"Logged as {ingested.item.ref}.")
            case ChatCommand.MINE:
                me = await core(desk.person, who)
                mine = ListFilter(state=State.CLAIMED, claimed_by=me.id, limit=LIST_LIMIT)
                return _listing("You hold", await core(desk.search, mine), claim=False)
            case ChatCommand.OPEN:
                oldest = ListFilter(state=State.OPEN, oldest_first=True, limit=LIST_LIMIT)
                return _listing("Waiting longest", await core(desk.search, oldest), claim=True)
            case ChatCommand.STATS:
                counts = await core(desk.counts)
                return Reply(" · ".join(f"{s.value.capitalize()}: {counts[s]}" for s in State))
            case ChatCommand.ROUTES:
                decided = await core(self._console.routes, rest)
                return Reply(escape(decided) if decided else ROUTES_USAGE)
            case ChatCommand.ROTA:
                return Reply(escape(await core(self._console.rota, desk.clock.now())))
            case ChatCommand.AUDIT:
                return Reply(escape(await core(self._console.audit)))
        ref, note = _ref_and_rest(verb, rest)
        match ChatCommand(verb):
            case ChatCommand.SHOW:
                item = await core(desk.get, ref)
                shown = card(item, await self._in.people.mentions_for(item))
                return Reply(shown.text, shown.blocks)
            case ChatCommand.CLAIM:
                return Reply(f"You claimed {(await core(desk.claim, ref, who)).item.ref}.")
            case ChatCommand.CLOSE:
                return Reply(f"You closed {(await core(desk.close, ref, who, note)).item.ref}.")
        return Reply(f"You reopened {(await core(desk.reopen, ref, who)).item.ref}.")


def _ref_and_rest(verb: str, rest: str) -> tuple[str, str]:
    words = rest.split(maxsplit=1)
    if not words:
        raise Invalid(f"Which item? For example `{SlackId.COMMAND} {verb} FB-12`.", "ref")
    return words[0], words[1] if len(words) > 1 else ""


def _listing(heading: str, items: list[Feedback], *, claim: bool) -> Reply:
    if not items:
        return Reply(f"{heading}: nothing.")
    head = SectionBlock(text=verbatim(f"*{heading}*"))
    return Reply(heading, [head, *item_rows(items, claim_buttons=claim)])
