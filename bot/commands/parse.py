"""Command text → a typed command, read the same way for Slack and Teams.

In a card's thread Teams knows the item, so its FB- number may be left out there: the adapter
passes it as `default_ref`; Slack never has one. A command that cannot run as typed raises
`Invalid` with a line saying what to type, in the same words on both platforms.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.commands.console import ChatCommand
from bot.domain import id_from_ref
from bot.errors import Invalid
from bot.signal.search import EMPTY_QUERY

LOG_USAGE = "Say what the customer said: `log <text>`."
ROUTES_USAGE = "Try `routes test <text>`: it shows where feedback with that text would go."


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class Log:
    text: str


@dataclass(frozen=True, slots=True)
class Mine:
    pass


@dataclass(frozen=True, slots=True)
class Open:
    pass


@dataclass(frozen=True, slots=True)
class Show:
    ref: str


@dataclass(frozen=True, slots=True)
class Claim:
    ref: str


@dataclass(frozen=True, slots=True)
class Close:
    ref: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Reopen:
    ref: str


@dataclass(frozen=True, slots=True)
class Stats:
    pass


@dataclass(frozen=True, slots=True)
class Config:
    pass


@dataclass(frozen=True, slots=True)
class RoutesTest:
    text: str


@dataclass(frozen=True, slots=True)
class Rota:
    pass


@dataclass(frozen=True, slots=True)
class Audit:
    pass


@dataclass(frozen=True, slots=True)
class SearchText:
    text: str


@dataclass(frozen=True, slots=True)
class Unknown:
    """A first word that is no command: answered with the help, and in a card's thread in
    Teams not a command at all but a comment."""

    word: str


Command = (
    Help
    | Log
    | Mine
    | Open
    | Show
    | Claim
    | Close
    | Reopen
    | Stats
    | Config
    | RoutesTest
    | Rota
    | Audit
    | SearchText
    | Unknown
)


def parse(text: str, default_ref: str | None = None) -> Command:
    """The command `text` asks for (no text at all asks for the help)."""
    word, rest = _split(text)
    if not word:
        return Help()
    if word not in ChatCommand.__members__.values():
        return Unknown(word)
    verb = ChatCommand(word)
    match verb:
        case ChatCommand.HELP:
            return Help()
        case ChatCommand.LOG:
            if not rest:
                raise Invalid(LOG_USAGE, "text")
            return Log(rest)
        case ChatCommand.MINE:
            return Mine()
        case ChatCommand.OPEN:
            return Open()
        case ChatCommand.SHOW:
            return Show(_ref_and_rest(verb, rest, default_ref)[0])
        case ChatCommand.CLAIM:
            return Claim(_ref_and_rest(verb, rest, default_ref)[0])
        case ChatCommand.CLOSE:
            return Close(*_ref_and_rest(verb, rest, default_ref))
        case ChatCommand.REOPEN:
            return Reopen(_ref_and_rest(verb, rest, default_ref)[0])
        case ChatCommand.STATS:
            return Stats()
        case ChatCommand.CONFIG:
            return Config()
        case ChatCommand.ROUTES:
            test, sample = _split(rest)
            if test != "test":
                raise Invalid(ROUTES_USAGE)
            return RoutesTest(sample)
        case ChatCommand.ROTA:
            return Rota()
        case ChatCommand.AUDIT:
            return Audit()
        case ChatCommand.SEARCH:
            if not rest:
                raise Invalid(EMPTY_QUERY, "q")
            return SearchText(rest)


def is_command(text: str) -> bool:
    """Whether `text` starts with a command's word (else, in a card's thread, it is a comment)."""
    return _split(text)[0] in ChatCommand.__members__.values()


def _split(text: str) -> tuple[str, str]:
    """The first word, lower-cased, and the rest."""
    words = text.split(maxsplit=1)
    if not words:
        return "", ""
    return words[0].lower(), words[1].strip() if len(words) > 1 else ""


def _ref_and_rest(verb: ChatCommand, rest: str, default_ref: str | None) -> tuple[str, str]:
    """The item named first, else the thread's; without either, ask which item.

    With no item to fall back on, the first word is the item whatever it looks like, so a
    mistyped number gets the core's own "is not a feedback reference" answer.
    """
    words = rest.split(maxsplit=1)
    if words and (default_ref is None or id_from_ref(words[0]) is not None):
        return words[0], words[1] if len(words) > 1 else ""
    if default_ref is None:
        raise Invalid(f"Which item? For example `{verb} FB-12`.", "ref")
    return default_ref, rest
