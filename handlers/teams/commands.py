"""`@All Hands <command>`: parsed from the message text, run against the Desk, answered as text.

Synchronous on purpose: the Desk talks to the database, so the bot runs a command in a worker
thread and keeps the event loop free for other turns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.admin import form as settings_form
from bot.commands.console import ChatCommand, Console
from bot.domain import Feedback, Identity, State
from bot.errors import AllHandsError, Invalid
from bot.intake import FeedbackDraft
from bot.ports.records import ListFilter
from bot.service import Desk
from handlers.teams.cards import feedback_card, plain, status_line
from handlers.teams.settings_card import settings_card

LIST_LIMIT = 10
STATS_LIMIT = 1_000
SOURCE = "teams"


HELP = (
    "**All Hands** commands:\n\n"
    "- `help`: this list\n"
    "- `mine`: the items you hold\n"
    "- `open`: the oldest items nobody holds yet\n"
    "- `show FB-1`: one item's card\n"
    "- `claim FB-1`, `close FB-1 what was done`, `reopen FB-1`\n"
    "- `stats`: how many items are open, claimed and closed\n"
    "- `log <text>`: log customer feedback (or use *Log as customer feedback* on any message)\n"
    "- `config`: the current settings; support leads also get a form to change them\n"
    "- `routes test <text>`: where feedback with that text would go, and which rule decides\n"
    "- `rota`: who is on support now, and who is next\n"
    "- `audit`: the latest configuration changes\n\n"
    "In a card's thread the FB- number may be left out."
)


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    card: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Request:
    """One command as typed: `text` without the bot's mention; `thread_ref` from the thread."""

    text: str
    who: Identity
    message_id: str
    thread_ref: str | None = None


def is_command(text: str) -> bool:
    words = text.split(maxsplit=1)
    return bool(words) and words[0].lower() in ChatCommand.__members__.values()


def run(desk: Desk, console: Console, request: Request) -> Reply:
    words = request.text.strip().split(maxsplit=1)
    if not words or words[0].lower() not in ChatCommand.__members__.values():
        return Reply(HELP)
    command = ChatCommand(words[0].lower())
    rest = words[1] if len(words) > 1 else ""
    try:
        if command in _CONSOLE:
            return _console(desk, console, command, rest, request.who)
        return _run(desk, command, rest, request)
    except AllHandsError as error:
        return Reply(error.message)


def _run(desk: Desk, command: ChatCommand, rest: str, request: Request) -> Reply:
    who = request.who
    if command is ChatCommand.HELP:
        return Reply(HELP)
    if command is ChatCommand.LOG:
        return _log(desk, rest, request)
    if command is ChatCommand.MINE:
        me = desk.person(who)
        return _listing("You hold", desk.search(ListFilter(state=State.CLAIMED, claimed_by=me.id)))
    if command is ChatCommand.OPEN:
        found = desk.search(ListFilter(state=State.OPEN, oldest_first=True, limit=LIST_LIMIT))
        return _listing("Waiting for someone", found)
    if command is ChatCommand.STATS:
        return Reply(_stats(desk))
    ref, note = _ref_and_rest(rest, request.thread_ref)
    if command is ChatCommand.SHOW:
        item = desk.get(ref)
        return Reply(f"{item.ref}: {status_line(item)}", feedback_card(item, desk.person(who)))
    if command is ChatCommand.CLAIM:
        return Reply(f"You claimed {desk.claim(ref, who).item.ref}.")
    if command is ChatCommand.CLOSE:
        return Reply(f"You closed {desk.close(ref, who, note).item.ref}.")
    return Reply(f"You reopened {desk.reopen(ref, who).item.ref}.")


_CONSOLE = {ChatCommand.CONFIG, ChatCommand.ROUTES, ChatCommand.ROTA, ChatCommand.AUDIT}
ROUTES_USAGE = "Try `routes test <text>`: it shows where feedback with that text would go."
# The shared answers mark bold the Slack way; Teams markdown wants double asterisks.
_SINGLE_BOLD = re.compile(r"(?<!\*)\*([^*\n]+)\*(?!\*)")


def _console(desk: Desk, console: Console, command: ChatCommand, rest: str, who: Identity) -> Reply:
    """Reading configuration: anyone may; only the settings form's Save needs a lead."""
    if command is ChatCommand.CONFIG:
        summary = _markdown(console.summary())
        if not desk.person(who).is_lead:
            return Reply(summary + "\n\nOnly support leads can change these.")
        return Reply(summary, settings_card(settings_form.current(console.admin)))
    if command is ChatCommand.ROUTES:
        decided = console.routes(rest)
        return Reply(_markdown(decided) if decided else ROUTES_USAGE)
    if command is ChatCommand.ROTA:
        return Reply(_markdown(console.rota(desk.clock.now())))
    return Reply(_markdown(console.audit()))


def _markdown(text: str) -> str:
    """A shared plain-text answer as Teams markdown: bold, and one paragraph per line."""
    return "\n\n".join(_SINGLE_BOLD.sub(r"**\1**", line) for line in text.splitlines())


def _ref_and_rest(rest: str, thread_ref: str | None) -> tuple[str, str]:
    words = rest.split(maxsplit=1)
    if words and (words[0].upper().startswith("FB-") or words[0].isdigit()):
        return words[0], words[1] if len(words) > 1 else ""
    if thread_ref is None:
        raise Invalid("Which item? Name it, e.g. `claim FB-12`.", "ref")
    return thread_ref, rest


def _log(desk: Desk, text: str, request: Request) -> Reply:
    if not text.strip():
        return Reply("Say what the customer said: `log <text>`.")
    draft = FeedbackDraft(source=SOURCE, external_id=request.message_id, body=text)
    ingested = desk.ingest(draft, request.who)
    verb = "Logged" if ingested.created else "Already logged"
    return Reply(f"{verb} as {ingested.item.ref}.")


def _listing(heading: str, items: list[Feedback]) -> Reply:
    if not items:
        return Reply(f"{heading}: nothing.")
    lines = [f"- **{i.ref}** {plain(i.title or i.body, 80)}" for i in items[:LIST_LIMIT]]
    more = f"\n\n…and {len(items) - LIST_LIMIT} more." if len(items) > LIST_LIMIT else ""
    return Reply(f"{heading}:\n\n" + "\n".join(lines) + more)


def _stats(desk: Desk) -> str:
    counts = []
    for state in State:
        found = len(desk.search(ListFilter(state=state, limit=STATS_LIMIT)))
        shown = f"{STATS_LIMIT}+" if found == STATS_LIMIT else str(found)
        counts.append(f"{state.value}: {shown}")
    return "Feedback " + ", ".join(counts) + "."
