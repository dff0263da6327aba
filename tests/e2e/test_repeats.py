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
from bot.domain import EventKind
from handlers.chat import ChatAdapter
from tests.support.builders import API, draft, person
from tests.support.core import make_core
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.servers import both_adapters, both_platforms
from tests.support.teams import recording

pytestmark = [needs_realdata, pytest.mark.usefixtures("no_internet")]

FIRST = "I still have not received my new card, I ordered it two weeks ago."
PARAPHRASE = "My new card has still not arrived, I ordered it two weeks ago."
DIFFERENT = "How do I change the email address on my account?"


@pytest.fixture
def core_settings(slack: FakeSlackApi, connector: FakeConnector) -> dict[str, Any]:
    return both_platforms(slack, connector)


@pytest.fixture
def adapters(core: Core, connector: FakeConnector) -> list[ChatAdapter]:
    return both_adapters(core, connector)


def _item(body: str, n: int) -> dict[str, Any]:
    customer = {"name": f"Customer {n}", "email": f"c{n}@example.com"}
    return {"source": "zendesk", "external_id": f"t-{n}", "body": body, "customer": customer}


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
    activity = connector.activity(recording("conversation_update_bot_added_to_team.json"))
    headers = {"Authorization": connector.authorization(activity)}
    assert (await client.post("/api/messages", json=activity, headers=headers)).status in (200, 201)

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
    posted = [json.dumps(c.args["blocks"]) for c in slack.calls_to("chat.postMessage")]
    cards = [text for text in posted if "Customer" in text]
    assert len(cards) == 2
    assert sum(FIRST[:20] in text for text in cards) == 1
    updated = _last_card_update(slack)
    assert "2 customers reported this" in updated
    assert "Customer 2" in updated
    teams_puts = [c for c in connector.calls if c.method == "PUT"]
    assert "2 customers reported this" in json.dumps(teams_puts[-1].body)
    notes = [c.args.get("text", "") for c in slack.calls_to("chat.postMessage")]
    assert any(f"Another customer reported this ({repeat})" in n for n in notes)

    # Split: the repeat gets its own card; merge it back, and the different one too.
    ana = person("Ana")
    core.desk.comment(repeat, ana, "Asked for the tracking number")
    assert core.desk.split(repeat, ana).changed
    assert not core.desk.split(repeat, ana).changed  # a retry changes nothing
    await settle(core.db)
    posted = [json.dumps(c.args["blocks"]) for c in slack.calls_to("chat.postMessage")]
    assert sum(PARAPHRASE[:20] in text for text in posted) == 1
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

    core = make_core(db_url)
    refs = [core.desk.ingest(draft(body), API).item.ref for body in (FIRST, PARAPHRASE, DIFFERENT)]
    core.close()
    assert "has a card of its own now" in run("feedback", "split", refs[1])
    assert "nothing to do" in run("feedback", "split", refs[1])
    assert f"merged into {refs[0]}" in run("feedback", "merge", refs[2], refs[0])
    assert "nothing to do" in run("feedback", "merge", refs[2], refs[0])
    bad = runner.invoke(cli, ["feedback", "merge", "nope", refs[0], "--as", "a@b.c"], env=env)
    assert bad.exit_code != 0
    assert "FB-12" in bad.output
