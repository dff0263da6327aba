"""Runs a typed chat command against the core and says what to answer.

One place for the limits, headings and words of every command, so `/allhands …` in Slack and
`@All Hands …` in Teams cannot drift apart. Each call blocks on the database: adapters call it
in a worker thread.
"""

from __future__ import annotations

from bot.admin import form as settings_form
from bot.commands.answers import READ_ONLY, Answer, Found, Listing, SettingsView, Shown
from bot.commands.console import Console
from bot.commands.guide import GUIDE
from bot.commands.parse import (
    Audit,
    Claim,
    Close,
    Command,
    Config,
    Help,
    Log,
    Mine,
    Open,
    Reopen,
    Rota,
    RoutesTest,
    SearchText,
    Show,
    Stats,
    Unknown,
    parse,
)
from bot.domain import Feedback, Identity, State
from bot.errors import AllHandsError
from bot.intake import FeedbackDraft
from bot.ports.records import ListFilter
from bot.service import Desk

LIST_LIMIT = 10
WORD_CHARS = 40
MINE_HEADING = "You hold"
OPEN_HEADING = "Waiting longest"
SEARCH_HEADING = "Best matches for"


class CommandRunner:
    def __init__(self, desk: Desk, console: Console) -> None:
        self.desk = desk
        self.console = console

    def answer(
        self,
        text: str,
        who: Identity,
        *,
        default_ref: str | None = None,
        message_id: str | None = None,
    ) -> Answer:
        """Parse `text` and run it; a refusal from the core becomes the answer's text.

        `default_ref` is the item whose thread the command was typed in; `message_id` the chat
        message's id, which makes logging the same message twice find the first item.
        """
        try:
            return self.run(parse(text, default_ref), who, message_id=message_id)
        except AllHandsError as error:
            return Answer(error.message)

    def run(self, command: Command, who: Identity, *, message_id: str | None = None) -> Answer:
        desk = self.desk
        match command:
            case Help():
                return Answer(guide=GUIDE)
            case Unknown(word):
                return Answer(f"I don't know `{_cut(word)}`.", guide=GUIDE)
            case Log(text):
                draft = FeedbackDraft(source=who.platform.value, external_id=message_id, body=text)
                ingested = desk.ingest(draft, who)
                verb = "Logged" if ingested.created else "Already logged"
                return Answer(f"{verb} as {ingested.item.ref}.")
            case Mine():
                me = desk.person(who)
                mine = ListFilter(state=State.CLAIMED, claimed_by=me.id, limit=LIST_LIMIT)
                return _listing(MINE_HEADING, desk.shown_search(mine), claim_buttons=False)
            case Open():
                oldest = ListFilter(state=State.OPEN, oldest_first=True, limit=LIST_LIMIT)
                return _listing(OPEN_HEADING, desk.shown_search(oldest), claim_buttons=True)
            case Show(ref):
                item = desk.shown(ref)
                return Answer(item.ref, shown=Shown(item, desk.person(who)))
            case Claim(ref):
                return Answer(f"You claimed {desk.claim(ref, who).item.ref}.")
            case Close(ref, note):
                return Answer(f"You closed {desk.close(ref, who, note).item.ref}.")
            case Reopen(ref):
                return Answer(f"You reopened {desk.reopen(ref, who).item.ref}.")
            case Stats():
                counts = desk.counts()
                return Answer(" · ".join(f"{s.value.capitalize()}: {counts[s]}" for s in State))
            case Config():
                return self._config(who)
            case RoutesTest(text):
                return Answer(self.console.routes_test(text))
            case Rota():
                return Answer(self.console.rota(desk.clock.now()))
            case Audit():
                return Answer(self.console.audit())
            case SearchText(text):
                return self._search(text)

    def _search(self, text: str) -> Answer:
        """The best few items, masked, each with its card's copies to link to."""
        items = self.desk.shown_search_text(text, ListFilter(limit=LIST_LIMIT))
        if not items:
            return Answer(f"Nothing matches “{_cut(text)}”.")
        with self.desk.db.read() as uow:
            cards = {item.id: tuple(uow.cards.for_item(item.id)) for item in items}
        heading = f"{SEARCH_HEADING} “{_cut(text)}”"
        return Answer(heading, found=Found(heading, items, cards))

    def _config(self, who: Identity) -> Answer:
        """Anyone may read the settings; a lead also gets the form to change them."""
        summary = self.console.summary()
        if not self.desk.person(who).is_lead:
            return Answer(f"{summary}\n{READ_ONLY}", settings=SettingsView(summary, None))
        form = settings_form.current(self.console.admin)
        return Answer(summary, settings=SettingsView(summary, form))


def _listing(heading: str, items: tuple[Feedback, ...], *, claim_buttons: bool) -> Answer:
    if not items:
        return Answer(f"{heading}: nothing.")
    return Answer(heading, listing=Listing(heading, items, claim_buttons))


def _cut(word: str) -> str:
    return word if len(word) <= WORD_CHARS else word[: WORD_CHARS - 1] + "…"
