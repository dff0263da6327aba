"""A forged Teams token must never hold up the rest of the server: the Bot Framework's signing
keys are fetched without blocking the event loop, with a timeout, and a failed fetch is
remembered so the next forged tokens are refused at once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from app import build_core
from bot.config import Settings
from bot.core import Core
from handlers.server import build_server
from handlers.slack.adapter import SlackAdapter
from handlers.teams import signing_keys
from handlers.teams.adapter import TeamsAdapter, authentication
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import needs_realdata, realdata_json
from tests.support.slack_payloads import SECRET, signature_headers

pytestmark = needs_realdata
APP_ID = "00000000-0000-0000-0000-00000000a11d"


class HangingKeys:
    """An OpenID metadata endpoint that answers only when told to (a slow network)."""

    def __init__(self) -> None:
        self.calls = 0
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def metadata(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.asked.set()
        await self.release.wait()
        return web.json_response({"jwks_uri": str(request.url.with_path("/keys"))})


@pytest.fixture
async def keys() -> AsyncIterator[tuple[HangingKeys, str]]:
    hanging = HangingKeys()
    app = web.Application()
    app.router.add_get("/openid", hanging.metadata)
    async with TestServer(app) as server:
        yield hanging, str(server.make_url("/openid"))
        hanging.release.set()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def core(db_url: str, slack: FakeSlackApi) -> Core:
    return build_core(
        Settings(
            ALLHANDS_DATABASE_URL=db_url,
            MicrosoftAppId=APP_ID,
            MicrosoftAppPassword="unused",
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.api_url,
        )
    )


@pytest.fixture
async def client(
    core: Core, keys: tuple[HangingKeys, str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TestClient[Any, Any]]:
    monkeypatch.setattr(signing_keys, "FETCH_TIMEOUT_SECONDS", 0.5)
    auth = authentication(core.settings, openid_metadata_url=keys[1])
    teams = TeamsAdapter(core, auth, app_id=APP_ID, mode="test")
    slack = SlackAdapter.from_settings(core.settings, core)
    assert slack is not None
    async with TestClient(TestServer(build_server(core, [teams, slack]))) as test_client:
        yield test_client


def forged() -> str:
    """A well-formed channel token signed by a key nobody published (its key id is unknown,
    which is what makes botbuilder fetch the keys)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": 4_000_000_000}
    return "Bearer " + jwt.encode(claims, key, algorithm="RS256", headers={"kid": "forged"})


async def post_forged(client: TestClient[Any, Any]) -> int:
    activity = realdata_json("teams", "activities", "message_channel_with_mention.json")
    response = await client.post(
        "/api/messages", json=activity, headers={"Authorization": forged()}
    )
    return response.status


async def slack_ack(client: TestClient[Any, Any]) -> int:
    body = json.dumps(realdata_json("slack", "events", "url_verification.json"))
    headers = {"Content-Type": "application/json", **signature_headers(body)}
    response = await client.post("/slack/events", data=body, headers=headers)
    return response.status


async def test_slack_is_answered_while_a_forged_token_waits_on_the_keys(
    client: TestClient[Any, Any], keys: tuple[HangingKeys, str]
) -> None:
    hanging, _ = keys
    teams = asyncio.create_task(post_forged(client))
    await asyncio.wait_for(hanging.asked.wait(), 10)

    assert await slack_ack(client) == 200
    assert (await client.get("/healthz")).status == 200
    assert not teams.done()  # Slack and health were answered while the key fetch hangs

    assert await teams == 401  # the fetch timed out: refused, not a 500


async def test_a_failed_fetch_is_remembered_and_forged_tokens_fail_at_once(
    client: TestClient[Any, Any], keys: tuple[HangingKeys, str]
) -> None:
    hanging, _ = keys
    assert await post_forged(client) == 401
    assert hanging.calls == 1

    assert await post_forged(client) == 401
    assert await post_forged(client) == 401
    assert hanging.calls == 1  # no new fetch until the failure's pause is over
