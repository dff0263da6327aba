"""The chat commands, read and answered once for Slack and Teams: same words on both."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from bot.admin.configure import Admin
from bot.admin.form import current
from bot.admin.routing import ConfiguredRouter, StaticRouter
from bot.admin.secrets import SecretBox
from bot.commands.answers import READ_ONLY, Answer
from bot.commands.console import ChatCommand, Console
from bot.commands.guide import GUIDE
from bot.commands.parse import (
    LOG_USAGE,
    ROUTES_USAGE,
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
    Show,
    Stats,
    Unknown,
    is_command,
    parse,
)
from bot.commands.runner import LIST_LIMIT, CommandRunner
from bot.domain import Platform, State
from bot.errors import Invalid
from bot.intake import FeedbackDraft
from bot.ports.records import ListFilter
from bot.service import Desk
from bot.sources.registry import SourceRegistry
from handlers.slack import commands as slack
from handlers.slack.ids import SlackId
from handlers.slack.text import escape
from handlers.teams import commands as teams
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.clock import FakeClock

ANA = person("ana")
BEN = person("ben", Platform.TEAMS)
_REF = re.compile(r"FB-\d+")


# ---- reading the text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Help()),
        ("  HELP ", Help()),
        ("log The app logs me out", Log("The app logs me out")),
        ("mine", Mine()),
        ("Open", Open()),
        ("show FB-12", Show("FB-12")),
        ("claim fb-3", Claim("fb-3")),
        ("claim banana", Claim("banana")),
        ("close FB-12 Refunded the order", Close("FB-12", "Refunded the order")),
        ("close FB-12", Close("FB-12", "")),
        ("reopen 12", Reopen("12")),
        ("stats", Stats()),
        ("config", Config()),
        ("routes test I want a refund", RoutesTest("I want a refund")),
        ("routes TEST", RoutesTest("")),
        ("rota", Rota()),
        ("audit", Audit()),
        ("Frobnicate the thing", Unknown("frobnicate")),
    ],
)
def test_text_becomes_a_typed_command(text: str, command: Command) -> None:
    assert parse(text) == command


def test_every_command_is_in_the_help_and_its_example_parses() -> None:
    assert [usage.verb for usage in GUIDE.usages] == list(ChatCommand)
    for usage in GUIDE.usages:
        assert not isinstance(parse(usage.typed.replace("<text>", "words")), Unknown), usage


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("claim", Claim("FB-7")),
        ("close Refunded the order", Close("FB-7", "Refunded the order")),
        ("close FB-3 Done", Close("FB-3", "Done")),
        ("show", Show("FB-7")),
        ("reopen fb-2", Reopen("fb-2")),
    ],
)
def test_in_a_cards_thread_the_ref_may_be_left_out(text: str, command: Command) -> None:
    assert parse(text, default_ref="FB-7") == command


@pytest.mark.parametrize("verb", ["show", "claim", "close", "reopen"])
def test_a_missing_ref_asks_which_item(verb: str) -> None:
    with pytest.raises(Invalid) as raised:
        parse(f"{verb}  ")

    assert raised.value.message == f"Which item? For example `{verb} FB-12`."
    assert raised.value.field == "ref"


@pytest.mark.parametrize(
    ("text", "usage"), [("log", LOG_USAGE), ("routes", ROUTES_USAGE), ("routes x", ROUTES_USAGE)]
)
def test_a_command_without_its_words_says_what_to_type(text: str, usage: str) -> None:
    with pytest.raises(Invalid, match=re.escape(usage)):
        parse(text)


def test_only_a_commands_word_makes_a_command() -> None:
    assert is_command("Close this, the customer is happy")
    assert not is_command("Customer called again")
    assert not is_command("")


# ---- running it ---------------------------------------------------------------------------


@pytest.fixture
def runner(desk: Desk, database: SqlStore, clock: FakeClock) -> CommandRunner:
    router = ConfiguredRouter(database, StaticRouter("C0CARDS"), [Platform.SLACK])
    sources = SourceRegistry(database, SecretBox(None), clock)
    console = Console(Admin(database, clock), router, lambda: ZoneInfo("UTC"), sources)
    return CommandRunner(desk, console)


def logged(desk: Desk, clock: FakeClock, count: int) -> list[str]:
    """`count` items, a minute apart, oldest first."""
    refs = []
    for number in range(count):
        clock.advance(minutes=1)
        draft = FeedbackDraft(source="email", body=f"Customer story {number}")
        refs.append(desk.ingest(draft, ANA).item.ref)
    return refs


def test_open_lists_the_oldest_ten_with_claim_buttons(
    runner: CommandRunner, desk: Desk, clock: FakeClock
) -> None:
    refs = logged(desk, clock, LIST_LIMIT + 2)

    answer = runner.answer("open", BEN)

    assert answer.text == "Waiting longest"
    assert answer.listing is not None
    assert answer.listing.heading == "Waiting longest"
    assert [item.ref for item in answer.listing.items] == refs[:LIST_LIMIT]
    assert answer.listing.claim_buttons


def test_mine_lists_at_most_ten_without_claim_buttons(
    runner: CommandRunner, desk: Desk, clock: FakeClock
) -> None:
    for ref in logged(desk, clock, LIST_LIMIT + 1):
        desk.claim(ref, BEN)

    answer = runner.answer("mine", BEN)

    assert answer.listing is not None
    assert answer.listing.heading == "You hold"
    assert len(answer.listing.items) == LIST_LIMIT
    assert not answer.listing.claim_buttons
    assert runner.answer("mine", ANA) == Answer("You hold: nothing.")


def test_the_loop_by_command(runner: CommandRunner, desk: Desk, clock: FakeClock) -> None:
    (ref,) = logged(desk, clock, 1)

    assert runner.answer(f"claim {ref}", BEN).text == f"You claimed {ref}."
    assert runner.answer("close Refunded", BEN, default_ref=ref).text == f"You closed {ref}."
    assert desk.get(ref).resolution == "Refunded"
    assert runner.answer(f"reopen {ref}", BEN).text == f"You reopened {ref}."
    shown = runner.answer(f"show {ref}", BEN).shown
    assert shown is not None
    assert (shown.item.ref, shown.item.state, shown.viewer.email) == (
        ref,
        State.OPEN,
        "ben@example.com",
    )


def test_logging_the_same_message_twice_finds_the_first_item(
    runner: CommandRunner, desk: Desk
) -> None:
    first = runner.answer("log Export is broken", BEN, message_id="m1")
    again = runner.answer("log Export is broken", BEN, message_id="m1")
    without_id = runner.answer("log Export is broken", ANA)

    on_teams, on_slack = sorted(desk.search(ListFilter()), key=lambda item: item.id)
    assert first.text == f"Logged as {on_teams.ref}."
    assert again.text == f"Already logged as {on_teams.ref}."
    assert without_id.text == f"Logged as {on_slack.ref}."
    assert (on_teams.source, on_teams.external_id) == ("teams", "m1")
    assert (on_slack.source, on_slack.external_id) == ("slack", None)


def test_stats_counts_every_state(runner: CommandRunner, desk: Desk, clock: FakeClock) -> None:
    claimed, closed, _ = logged(desk, clock, 3)
    desk.claim(claimed, ANA)
    desk.close(closed, ANA)

    assert runner.answer("stats", ANA).text == "Open: 1 · Claimed: 1 · Closed: 1"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("claim", "Which item? For example `claim FB-12`."),
        ("claim banana", "'banana' is not a feedback reference like FB-12."),
        ("show FB-99", "There is no feedback FB-99."),
        ("log", LOG_USAGE),
    ],
)
def test_refusals_become_the_answers_text(runner: CommandRunner, text: str, said: str) -> None:
    assert runner.answer(text, ANA) == Answer(said)


def test_a_claimed_item_says_who_holds_it(
    runner: CommandRunner, desk: Desk, clock: FakeClock
) -> None:
    (ref,) = logged(desk, clock, 1)
    desk.claim(ref, BEN)

    assert runner.answer(f"claim {ref}", ANA).text == f"{ref} is already claimed by Ben."


def test_help_and_an_unknown_word_show_the_guide(runner: CommandRunner) -> None:
    assert runner.answer("help", ANA) == Answer(guide=GUIDE)
    unknown = runner.answer("x" * 60, ANA)
    assert unknown.text == f"I don't know `{'x' * 39}…`."
    assert unknown.guide is GUIDE


def test_config_lets_only_a_lead_edit(runner: CommandRunner) -> None:
    anyone = runner.answer("config", ANA)
    runner.console.admin.set_role("ana@example.com", "lead", True, None)
    lead = runner.answer("config", ANA)

    assert anyone.settings is not None
    assert not anyone.settings.may_edit
    assert anyone.text == f"{anyone.settings.summary}\n{READ_ONLY}"
    assert lead.settings is not None
    assert lead.settings.may_edit
    assert lead.settings.form == current(runner.console.admin)
    assert lead.text.startswith("*Leads:* Ana")


def test_routes_rota_and_audit_read_the_settings(runner: CommandRunner) -> None:
    assert runner.answer("routes test refund", ANA).text == "Rule *default* decides: slack C0CARDS."
    assert runner.answer("rota", ANA).text == "No rota yet: a lead can set one with `config`."
    assert runner.answer("audit", ANA).text == "No configuration changes yet."


# ---- the same words on both platforms -----------------------------------------------------


def slack_words(answer: Answer) -> tuple[str, list[str]]:
    """What Slack shows: the text (the heading when it lists items) and the items listed."""
    reply = slack.render(answer, {})
    texts = [str(block.to_dict()["text"]["text"]) for block in reply.blocks]
    if not texts:
        return reply.text, []
    assert texts[0] == f"*{reply.text}*"
    return reply.text, [_REF.findall(text)[0] for text in texts[1:]]


def teams_words(answer: Answer) -> tuple[str, list[str]]:
    """What Teams shows: the text (the heading when it lists items) and the items listed."""
    heading, _, items = teams.render(answer).text.partition(":\n\n")
    return (heading, _REF.findall(items)) if items else (heading, [])


@pytest.mark.parametrize(("text", "heading"), [("open", "Waiting longest"), ("mine", "You hold")])
def test_slack_and_teams_list_the_same_items_under_the_same_heading(
    runner: CommandRunner, desk: Desk, clock: FakeClock, text: str, heading: str
) -> None:
    refs = logged(desk, clock, 2 * LIST_LIMIT + 2)  # more than the limit, open and held
    for ref in refs[LIST_LIMIT + 1 :]:
        desk.claim(ref, ANA)
    answer = runner.answer(text, ANA)

    on_slack, on_teams = slack_words(answer), teams_words(answer)

    assert on_slack == on_teams
    assert on_slack[0] == heading
    assert len(on_slack[1]) == LIST_LIMIT


@pytest.mark.parametrize("text", ["mine", "open", "stats", "claim", "show FB-99", "routes"])
def test_slack_and_teams_say_the_same_words(runner: CommandRunner, text: str) -> None:
    answer = runner.answer(text, ANA)

    assert slack.render(answer, {}).text == escape(answer.text)
    assert teams.render(answer).text == answer.text


def test_both_platforms_list_every_command_with_the_same_description() -> None:
    on_slack = slack.help_text(GUIDE)
    on_teams = teams.help_text(GUIDE)

    for usage in GUIDE.usages:
        assert escape(f"`{SlackId.COMMAND} {usage.typed}` {usage.does}") in on_slack
        assert f"`{usage.typed}`: {usage.does}" in on_teams
    assert escape(GUIDE.also) in on_slack
    assert GUIDE.also.replace("*", "**") in on_teams
