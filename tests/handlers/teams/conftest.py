"""The real server with the real CloudAdapter, a fake Bot Connector, and no way out to the internet.

Activities are the real Teams recordings with their serviceUrl pointed at the fake connector;
requests carry channel tokens the fake signed, checked by botbuilder against the keys the fake
publishes. Any attempt to resolve a host other than 127.0.0.1 fails the test.
"""

from __future__ import annotations

import asyncio
import copy
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import jsonschema
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from app import build_core
from bot.config import Settings
from bot.core import Core
from handlers.server import build_server
from handlers.teams.adapter import TeamsAdapter, authentication
from storage.uow import SqlStore
from tests.fakes.connector import FakeConnector
from tests.support import FakeClock, realdata_json

Client = TestClient[object, object]
CHANNEL = "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"  # from the bot-added recording
RIDO = "29:1uMVvhoAyfTqdMsyvHL0qlJTTfQF9MOUSI8_cQts2kdSWEZVDyJO2jz-CsNOhQcdYq1Bw4cHT0__O6XDj4AZ-Jw"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Token endpoints, OpenID metadata, the Connector: everything must stay on this machine."""
    real = socket.getaddrinfo

    def local_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOCAL_HOSTS:
            raise OSError(f"test tried to reach {name}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    with FakeConnector().running() as fake:
        fake.add_member(RIDO, "c5e99701-2a32-49c1-a660-4629ceeb8c61", "Rido", "rido@example.com")
        yield fake


@pytest.fixture
def settings(db_url: str, connector: FakeConnector) -> Settings:
    return Settings(
        ALLHANDS_DATABASE_URL=db_url,
        MicrosoftAppId=connector.app_id,
        MicrosoftAppPassword="not-used-the-fake-signs-tokens",
        ALLHANDS_TEAMS_CHANNEL=CHANNEL,
    )


@pytest.fixture
def core(settings: Settings, clock: FakeClock) -> Iterator[Core]:
    built = build_core(settings, clock)
    yield built
    built.close()


@pytest.fixture
def teams(core: Core, connector: FakeConnector) -> TeamsAdapter:
    auth = authentication(
        core.settings,
        openid_metadata_url=connector.openid_metadata_url,
        credentials_factory=connector.credentials_factory(),
    )
    return TeamsAdapter(core, auth, app_id=connector.app_id, mode="test")


@pytest.fixture
async def client(core: Core, teams: TeamsAdapter) -> AsyncIterator[Client]:
    async with TestClient(TestServer(build_server(core, [teams]))) as test_client:
        yield test_client


Post = Callable[..., Any]


@pytest.fixture
def post(client: Client, connector: FakeConnector) -> Post:
    """POST an activity to /api/messages the way the Bot Framework does (signed token)."""

    async def send(activity: dict[str, Any], *, authorization: str | None = None) -> ClientResponse:
        activity = connector.activity(activity)
        header = authorization if authorization is not None else connector.authorization(activity)
        return await client.post("/api/messages", json=activity, headers={"Authorization": header})

    return send


def recording(name: str) -> dict[str, Any]:
    """A private copy of a real Teams activity, safe to change."""
    activity: dict[str, Any] = copy.deepcopy(realdata_json("teams", "activities", name))
    return activity


def claim_invoke(verb: str, ref: str, card_id: str, **data: Any) -> dict[str, Any]:
    """The recorded `adaptiveCard/action` invoke, as a click on one of our cards in the channel."""
    activity = recording("invoke_adaptive_card_action.json")
    activity["id"] = f"f:{verb}-{ref}-{card_id}"
    activity["value"]["action"] = {
        "type": "Action.Execute",
        "verb": verb,
        "data": {"ref": ref, **data},
    }
    activity["conversation"] = {
        "id": f"{CHANNEL};messageid={card_id}",
        "conversationType": "channel",
        "isGroup": True,
        "tenantId": "56653e9d-2158-46ee-90d7-675c39642038",
    }
    activity["replyToId"] = card_id
    return activity


def assert_valid_card(card: dict[str, Any]) -> None:
    jsonschema.validate(card, realdata_json("teams", "schemas", "adaptive-card-1.5.json"))


async def settle(database: SqlStore, timeout: float = 10.0) -> None:
    """Wait until the outbox has sent everything the last changes asked for."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        with database.read() as uow:
            if uow.outbox.pending() == 0:
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox did not drain")
