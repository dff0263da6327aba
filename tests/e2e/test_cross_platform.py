"""One queue, two chat platforms: a change made in Teams updates the Slack card, and back.

The real server runs with both adapters: Slack against the fake Slack Web API, Teams through
the real CloudAdapter against the fake Bot Connector.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core import Core
from bot.domain import Platform, State
from bot.intake import FeedbackDraft
from handlers.chat import ChatAdapter
from handlers.slack.ids import SlackId
from tests.support.builders import API
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.servers import both_adapters, both_platforms
from tests.support.slack_payloads import SlackSender, block_action
from tests.support.teams import assert_valid_card, claim_invoke, recording

# no_internet keeps every call on this machine.
pytestmark = [needs_realdata, pytest.mark.usefixtures("no_internet")]


@pytest.fixture
def core_settings(slack: FakeSlackApi, connector: FakeConnector) -> dict[str, Any]:
    return both_platforms(slack, connector)


@pytest.fixture
def adapters(core: Core, connector: FakeConnector) -> list[ChatAdapter]:
    return both_adapters(core, connector)


@pytest.fixture
def both(core: Core, client: TestClient[Any, Any]) -> tuple[Core, TestClient[Any, Any]]:
    return core, client


def _last_card(connector: FakeConnector, card_id: str) -> dict[str, Any]:
    puts = [c for c in connector.calls if c.method == "PUT" and c.path.endswith(f"/{card_id}")]
    card: dict[str, Any] = puts[-1].body["attachments"][0]["content"]
    return card


async def test_a_change_in_either_platform_updates_the_other_card(
    both: tuple[Core, TestClient[Any, Any]], connector: FakeConnector, slack: FakeSlackApi
) -> None:
    core, client = both

    async def teams_post(activity: dict[str, Any]) -> Any:
        activity = connector.activity(activity)
        headers = {"Authorization": connector.authorization(activity)}
        return await client.post("/api/messages", json=activity, headers=headers)

    await teams_post(recording("conversation_update_bot_added_to_team.json"))
    first = core.desk.ingest(FeedbackDraft(source="zendesk", body="Refund missing"), API).item
    second = core.desk.ingest(FeedbackDraft(source="zendesk", body="App crashes"), API).item
    await settle(core.db)
    copies = {}
    with core.db.read() as uow:
        for item in (first, second):
            copies[item.ref] = {c.platform: c.message_id for c in uow.cards.for_item(item.id)}
    assert all(set(c) == {Platform.SLACK, Platform.TEAMS} for c in copies.values())

    # Claimed in Teams: the Slack card says so, with the platform it happened on.
    teams_card = str(copies[first.ref][Platform.TEAMS])
    answer = await teams_post(claim_invoke("allhands.claim", first.ref, teams_card))
    assert answer.status == 200
    await settle(core.db)
    slack_ts = str(copies[first.ref][Platform.SLACK]).split(":")[-1]
    updates = [c for c in slack.calls_to("chat.update") if c.args["ts"] == slack_ts]
    assert "Claimed by Rido (in Teams)" in json.dumps(updates[-1].args["blocks"])

    # Claimed in Slack: the Teams card is updated in place and says so.
    slack_ts = str(copies[second.ref][Platform.SLACK]).split(":")[-1]
    sender = SlackSender(client)
    response = await sender.interactive(
        block_action(SlackId.CLAIM, second.ref, "UANA", message_ts=slack_ts)
    )
    assert response.status == 200
    await eventually(lambda: core.desk.get(second.ref).state is State.CLAIMED)  # after the ack
    await settle(core.db)
    card = _last_card(connector, str(copies[second.ref][Platform.TEAMS]))
    assert_valid_card(card)
    assert "Claimed by Ana Lima (in Slack)" in json.dumps(card)
