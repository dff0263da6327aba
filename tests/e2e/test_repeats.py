"""Repeats attach to the card they repeat: a paraphrase joins the first item's card on Slack
and Teams, a different message gets its own, and split and merge keep every customer and
comment.

The real server runs with both adapters: Slack against the fake Slack Web API, Teams through
the real CloudAdapter against the fake Bot Connector.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from click.testing import CliRunner

from app import cli
from bot.core import Core
from bot.domain import EventKind, Platform
from handlers.chat import ChatAdapter
from handlers.slack.ids import Field, SlackId
from handlers.slack.views import Origin
from handlers.teams.cards import Verb
from tests.support.builders import API, draft, person
from tests.support.clock import FakeClock
from tests.support.core import make_core
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.servers import both_adapters, both_platforms
from tests.support.slack_payloads import CARDS, SlackSender, block_action, view_submission
from tests.support.teams import claim_invoke, recording

pytestmark = [needs_realdata, pytest.mark.usefixtures("no_internet")]

FIRST = "I still have not received my new card, I ordered it two weeks ago."
PARAPHRASE = "My new card has still not arrived, I ordered it two weeks ago."
DIFFERENT = "How do I change the email address on my account?"


@pytest.fixture
def core_settings(slack: FakeSlackApi, connector: FakeConnector) -> dict[str, Any]:
    return {**both_platforms(slack, connector), "ALLHANDS_REPEATS": True}


@pytest.fixture
def adapters(core: Core, connector: FakeConnector) -> list[ChatAdapter]:
    return both_adapters(core, connector)


def _item(body: str, n: int) -> dict[str, Any]:
    customer = {"name": f"Customer {n}", "email": f"c{n}@example.com"}
    return {"source": "zendesk", "external_id": f"t-{n}", "body": body, "customer": customer}


async def _teams_post(
    client: TestClient[Any, Any], connector: FakeConnector, activity: dict[str, Any]
) -> Any:
    activity = connector.activity(activity)
    headers = {"Authorization": connector.authorization(activity)}
    response = await client.post("/api/messages", json=activity, headers=headers)
    assert response.status in (200, 201)
    return await response.json() if response.content_length else None  # an invoke's answer


def _last_card_update(slack: FakeSlackApi) -> str:
    """The first item's Slack card as last updated."""
    updates = [json.dumps(c.args["blocks"]) for c in slack.calls_to("chat.update")]
    return [text for text in updates if FIRST[:20] in text][-1]


async def test_a_paraphrase_joins_the_card_and_split_and_merge_keep_everyone(
    core: Core,
    client: TestClient[Any, Any],
    auth: dict[str, str],
    slack: FakeSlackApi,
    connector: FakeConnector,
    db_url: str,
) -> None:
    await _teams_post(client, connector, recording("conversation_update_bot_added_to_team.json"))

    answers = []
    for n, body in enumerate((FIRST, PARAPHRASE, DIFFERENT), start=1):
        response = await client.post("/api/v1/feedback", json=_item(body, n), headers=auth)
        assert response.status == 201
        answers.append(await response.json())
    first, repeat, different = (a["ref"] for a in answers)
    assert answers[0]["duplicate_of"] is None
    assert answers[1]["duplicate_of"] == first
    assert answers[2]["duplicate_of"] is None
    await settle(core.db)

    # One card each for the first and the different message, on each platform.
    assert [card.text.split(" · ")[0] for card in slack.cards(CARDS)] == [
        f":speech_balloon: {first}",
        f":speech_balloon: {different}",
    ]
    updated = _last_card_update(slack)
    assert "2 customers reported this" in updated
    assert "Customer 2" in updated
    teams_puts = [json.dumps(c.body) for c in connector.calls if c.method == "PUT"]
    assert any("2 customers reported this" in body for body in teams_puts)
    notes = [c.args.get("text", "") for c in slack.calls_to("chat.postMessage")]
    assert any(f"Another customer reported this ({repeat})" in n for n in notes)

    # Split: the repeat gets its own card; merge it back, and the different one too.
    ana = person("Ana")
    core.desk.comment(repeat, ana, "Asked for the tracking number")
    assert core.desk.split(repeat, ana).changed
    assert not core.desk.split(repeat, ana).changed  # a retry changes nothing
    await settle(core.db)
    assert [card.text.split(" · ")[0] for card in slack.cards(CARDS)][-1] == (
        f":speech_balloon: {repeat}"
    )
    for ref in (repeat, different):
        assert core.desk.merge(ref, first, ana).changed
    assert not core.desk.merge(different, first, ana).changed
    await settle(core.db)
    assert "3 customers reported this" in _last_card_update(slack)
    assert core.desk.get(repeat).comments[0].text == "Asked for the tracking number"
    with core.db.read() as uow:
        kinds = [e.kind for e in uow.events.for_item(core.desk.get(repeat).id)]
    assert kinds.count(EventKind.MERGED) == 1
    assert EventKind.SPLIT in kinds


def test_split_and_merge_from_the_cli(db_url: str) -> None:
    env = {"ALLHANDS_DATABASE_URL": db_url}
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, [*args, "--as", "ana@example.com"], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    core = make_core(db_url, ALLHANDS_REPEATS=True)
    refs = [core.desk.ingest(draft(body), API).item.ref for body in (FIRST, PARAPHRASE, DIFFERENT)]
    core.close()
    assert "has a card of its own now" in run("feedback", "split", refs[1])
    assert "nothing to do" in run("feedback", "split", refs[1])
    assert f"merged into {refs[0]}" in run("feedback", "merge", refs[2], refs[0])
    assert "nothing to do" in run("feedback", "merge", refs[2], refs[0])
    bad = runner.invoke(cli, ["feedback", "merge", "nope", refs[0], "--as", "a@b.c"], env=env)
    assert bad.exit_code != 0
    assert "FB-12" in bad.output


async def test_merge_and_split_from_the_slack_and_teams_card_menus(
    core: Core, client: TestClient[Any, Any], slack: FakeSlackApi, connector: FakeConnector
) -> None:
    await _teams_post(client, connector, recording("conversation_update_bot_added_to_team.json"))
    first, repeat, different = (
        core.desk.ingest(draft(body), API).item for body in (FIRST, PARAPHRASE, DIFFERENT)
    )
    assert core.desk.get(repeat.ref).duplicate_of == first.id
    await settle(core.db)
    with core.db.read() as uow:
        cards = {c.platform: c.message_id for c in uow.cards.for_item(first.id)}
        teams_card = next(
            c.message_id for c in uow.cards.for_item(different.id) if c.platform is Platform.TEAMS
        )
    slack_ts = str(cards[Platform.SLACK]).split(":")[-1]
    sender = SlackSender(client)

    # Slack: the menu beside the state line opens the modal; "Not the same problem" splits.
    menu = block_action(
        SlackId.MORE, "", "UANA", message_ts=slack_ts, selected=f"{SlackId.REPEATS}:{first.ref}"
    )
    assert (await sender.interactive(menu)).status == 200
    (opened,) = await slack.wait_for("views.open")
    assert opened.args["view"]["callback_id"] == SlackId.REPEATS_VIEW
    origin = Origin(first.ref, CARDS, slack_ts).dump()
    empty = await sender.interactive(view_submission(SlackId.REPEATS_VIEW, {}, origin, "UANA"))
    assert empty.status == 200
    await slack.wait_for("chat.postEphemeral")
    told = slack.calls_to("chat.postEphemeral")[-1].args["text"]
    assert told.startswith("Nothing merged or split")
    split = {Field.SPLIT_OUT: {"type": "plain_text_input", "value": repeat.ref}}
    response = await sender.interactive(
        view_submission(SlackId.REPEATS_VIEW, split, origin, "UANA")
    )
    assert response.status == 200
    await eventually(lambda: core.desk.get(repeat.ref).duplicate_of is None, what="the split")

    # Teams: "Merge or split…" on the different item's card merges it into the first.
    merge = claim_invoke(Verb.MERGE, different.ref, str(teams_card), merge_into=first.ref)
    assert "Merged into" in json.dumps(await _teams_post(client, connector, merge))
    assert core.desk.get(different.ref).duplicate_of == first.id
    bad = claim_invoke(Verb.SPLIT, first.ref, str(teams_card), split_out="nonsense")
    refused = await _teams_post(client, connector, bad)
    assert "is not a feedback reference" in json.dumps(refused)


async def test_a_card_names_similar_items_with_how_they_ended(
    core: Core,
    client: TestClient[Any, Any],
    slack: FakeSlackApi,
    connector: FakeConnector,
    clock: FakeClock,
) -> None:
    """Closed more than 14 days ago, an item takes no repeats, but its card line still helps."""
    await _teams_post(client, connector, recording("conversation_update_bot_added_to_team.json"))
    first = core.desk.ingest(draft(FIRST), API).item
    core.desk.close(first.ref, person("Ana"), "Sent a replacement card by courier")
    clock.advance(days=15)
    again = core.desk.ingest(draft(PARAPHRASE), API).item
    assert again.duplicate_of is None
    await settle(core.db)
    card = next(c for c in slack.cards(CARDS) if again.ref in c.text)
    shown = json.dumps(card.blocks)
    assert "Similar items" in shown
    assert f"`{first.ref}`" in shown
    assert "Sent a replacement card" in shown
