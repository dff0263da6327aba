"""The help for the chat commands: one list of every command and what it does.

Slack and Teams format it their own way (`/allhands log <text>` in Slack, `log <text>` in
Teams), but from this one list, so the two platforms never describe different commands.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.console import ChatCommand


@dataclass(frozen=True, slots=True)
class Usage:
    """One command as typed (`args` after the word, e.g. `FB-12 <what was done>`) and what it
    does."""

    verb: ChatCommand
    args: str
    does: str

    @property
    def typed(self) -> str:
        return f"{self.verb} {self.args}".strip()


@dataclass(frozen=True, slots=True)
class Guide:
    """`about` follows the command's name in the title; `also` ends the list (`*bold*` marks)."""

    about: str
    usages: tuple[Usage, ...]
    also: str


GUIDE = Guide(
    about="customer feedback, worked by everyone",
    usages=(
        Usage(ChatCommand.HELP, "", "this list"),
        Usage(ChatCommand.LOG, "<text>", "log what a customer said"),
        Usage(ChatCommand.MINE, "", "the items you hold"),
        Usage(ChatCommand.OPEN, "", "the oldest items nobody holds yet"),
        Usage(ChatCommand.SHOW, "FB-12", "one item's card"),
        Usage(ChatCommand.SEARCH, "<words>", "items that say this, in these or other words"),
        Usage(ChatCommand.CLAIM, "FB-12", "take an item on"),
        Usage(ChatCommand.CLOSE, "FB-12 <what was done>", "close an item, with what was done"),
        Usage(ChatCommand.REOPEN, "FB-12", "open a closed item again"),
        Usage(ChatCommand.STATS, "", "how many items are open, claimed and closed"),
        Usage(ChatCommand.CONFIG, "", "the settings; support leads can change them there"),
        Usage(
            ChatCommand.ROUTES,
            "test <text>",
            "where feedback with that text would go, and which rule decides",
        ),
        Usage(ChatCommand.ROTA, "", "who is on support now, and who is next"),
        Usage(ChatCommand.AUDIT, "", "the latest configuration changes"),
    ),
    also="Or use *Log as customer feedback* from any message's menu.",
)
