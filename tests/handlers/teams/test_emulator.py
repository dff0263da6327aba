"""`serve --dev` without an app id: Teams in emulator mode gets the cards like a real install.

The server is built the way `allhands serve --dev` builds it (`chat_adapters`, `build_server`),
and the Bot Connector is the fake one in its emulator mode: no tokens either way.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from typing import Any

import jsonschema
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import build_core
from bot.config import Settings
from bot.core import Core
from handlers.server import build_server, chat_adapters
from tests.support.clock import FakeClock
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.outbox import pending
from tests.support.realdata import needs_realdata, realdata_json

pytestmark = needs_realdata
CARD = "application/vnd.microsoft.card.adaptive"
Client = TestClient[object, object]


@pytest.fixture
def emulator() -> Iterator[FakeConnector]:
    with FakeConnector(emulator=True).running() as fake:
        yield fake


@pytest.fixture
def dev_core(db_url: str, clock: FakeClock) -> Iterator[Core]:
    """No chat settings at all: what a newcomer has on the first `serve --dev`."""
    core = build_core(Settings(ALLHANDS_DATABASE_URL=db_url), clock)
    yield core
    core.close()


@pytest.fixture
async def dev_client(dev_core: Core) -> AsyncIterator[Client]:
    adapters, _ = chat_adapters(dev_core, dev=True)
    async with TestClient(TestServer(build_server(dev_core, adapters))) as client:
        yield client


def bot_added_to_team() -> dict[str, Any]:
    activity: dict[str, Any] = copy.deepcopy(
        realdata_json("teams", "activities", "conversation_update_bot_added_to_team.json")
    )
    return activity


def emulator_chat(activity: dict[str, Any]) -> dict[str, Any]:
    """The same join as the Emulator sends it: its own channel, a chat in no team."""
    activity.update(
        channelId="emulator", conversation={"id": "5f1c0b2e-emulated|livechat"}, channelData={}
    )
    return activity


async def ingest(client: Client, core: Core) -> str:
    token = core.tokens.create("dev")
    response = await client.post(
        "/api/v1/feedback",
        json={"source": "email", "body": "The export button does nothing"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 201, await response.text()
    ref: str = (await response.json())["ref"]
    return ref


async def until_sent(core: Core, connector: FakeConnector) -> None:
    """Until the outbox has nothing left to send, or the connector refused a call."""
    await eventually(lambda: connector.refused or pending(core.db) == 0, what="the cards")


@pytest.mark.parametrize(
    ("joined", "conversation"),
    [
        (bot_added_to_team, "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"),
        (lambda: emulator_chat(bot_added_to_team()), "5f1c0b2e-emulated|livechat"),
    ],
    ids=["teams-recording", "emulator-chat"],
)
async def test_an_item_ingested_after_a_conversation_update_reaches_that_connector_as_a_card(
    dev_client: Client,
    dev_core: Core,
    emulator: FakeConnector,
    joined: Any,
    conversation: str,
) -> None:
    update = emulator.activity(joined())
    assert (await dev_client.post("/api/messages", json=update)).status == 201

    ref = await ingest(dev_client, dev_core)
    await until_sent(dev_core, emulator)

    assert emulator.refused == []
    [call] = emulator.sent("POST")
    assert call.path == f"/v3/conversations/{conversation}/activities"
    [attachment] = call.body["attachments"]
    assert attachment["contentType"] == CARD
    card = attachment["content"]
    jsonschema.validate(card, realdata_json("teams", "schemas", "adaptive-card-1.5.json"))
    assert card["fallbackText"].startswith(f"{ref}: The export button does nothing")


async def test_without_dev_the_same_settings_route_nothing_to_teams(
    dev_core: Core, emulator: FakeConnector
) -> None:
    adapters, lines = chat_adapters(dev_core, dev=False)
    assert "Teams: off (set MicrosoftAppId and MicrosoftAppPassword to turn it on)" in lines
    async with TestClient(TestServer(build_server(dev_core, adapters))) as client:
        assert (await client.post("/api/messages", json=bot_added_to_team())).status == 404
        await ingest(client, dev_core)
    with dev_core.db.read() as uow:
        assert uow.outbox.pending() == 0
    assert emulator.calls == []
