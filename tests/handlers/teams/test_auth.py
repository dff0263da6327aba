"""Who may call /api/messages, and when the Teams adapter runs at all."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.core import Core
from handlers.cli.context import ConfigError
from handlers.server import build_server, chat_adapters
from handlers.teams.adapter import TeamsAdapter
from tests.support.core import make_core
from tests.support.fakes.connector import FakeConnector
from tests.support.realdata import needs_realdata
from tests.support.teams import Client, Post, recording

pytestmark = needs_realdata
MESSAGE = "message_channel_with_mention.json"


@pytest.fixture
async def production_client(core: Core) -> AsyncIterator[Client]:
    """The adapter exactly as `allhands serve` builds it from the environment."""
    adapter = TeamsAdapter.from_settings(core.settings, core, dev=False)
    assert adapter is not None
    async with TestClient(TestServer(build_server(core, [adapter]))) as client:
        yield client


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer garbage", "Basic dXNlcjpwYXNz", "Bearer a.b.c"],
    ids=["missing", "empty", "no-token", "garbage", "basic", "not-json"],
)
async def test_production_adapter_refuses_missing_or_garbage_authorization(
    production_client: Client, connector: FakeConnector, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}

    response = await production_client.post(
        "/api/messages", json=connector.activity(recording(MESSAGE)), headers=headers
    )

    assert response.status == 401
    assert connector.calls == []


def _forged(connector: FakeConnector, activity: dict[str, object], **claims: object) -> str:
    """A well-formed channel token, signed by a key the Bot Framework never published."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = {
        "iss": "https://api.botframework.com",
        "aud": connector.app_id,
        "serviceurl": activity["serviceUrl"],
        "exp": 4_000_000_000,
        **claims,
    }
    return "Bearer " + jwt.encode(payload, key, algorithm="RS256", headers={"kid": "other"})


@pytest.mark.parametrize(
    "case", ["foreign-key", "other-audience", "other-service-url", "expired", "other-issuer"]
)
async def test_tokens_that_fail_verification_are_refused(
    post: Post, connector: FakeConnector, case: str
) -> None:
    activity = connector.activity(recording(MESSAGE))
    header = {
        "foreign-key": lambda: _forged(connector, activity),
        "other-audience": lambda: connector.authorization(activity, aud="someone-else"),
        "other-service-url": lambda: connector.authorization(
            activity, serviceurl="http://127.0.0.1:1/"
        ),
        "expired": lambda: connector.authorization(activity, exp=1_000_000),
        "other-issuer": lambda: connector.authorization(activity, iss="https://evil.example"),
    }[case]()

    response = await post(activity, authorization=header)

    assert response.status == 401
    assert connector.sent("POST") == []


async def test_a_properly_signed_request_is_accepted(post: Post, connector: FakeConnector) -> None:
    response = await post(recording(MESSAGE))

    assert response.status == 201
    assert len(connector.sent("POST")) == 1
    assert connector.refused == []  # the bot's own calls carried a valid token


def test_without_an_app_id_teams_is_off_unless_dev(db_url: str) -> None:
    core = make_core(db_url)
    try:
        adapters, lines = chat_adapters(core, dev=False)
        assert adapters == []
        assert "Teams: off (set MicrosoftAppId and MicrosoftAppPassword to turn it on)" in lines
        assert TeamsAdapter.from_settings(core.settings, core, dev=False) is None
    finally:
        core.close()


async def test_dev_mode_runs_the_unauthenticated_emulator_mode_with_a_loud_warning(
    db_url: str, caplog: pytest.LogCaptureFixture, connector: FakeConnector
) -> None:
    core = make_core(db_url)
    caplog.set_level(logging.WARNING)
    adapters, lines = chat_adapters(core, dev=True)

    assert [a.platform for a in adapters] == ["teams"]
    assert any(line.startswith("Teams: EMULATOR MODE, unauthenticated") for line in lines)
    assert "WITHOUT authentication" in caplog.text

    activity = connector.activity(recording("conversation_update_bot_added_to_team.json"))
    async with TestClient(TestServer(build_server(core, adapters))) as client:
        response = await client.post("/api/messages", json=activity)
    assert response.status == 201


async def test_the_route_does_not_exist_when_teams_is_off(db_url: str) -> None:
    core = make_core(db_url)
    adapters, _ = chat_adapters(core, dev=False)
    async with TestClient(TestServer(build_server(core, adapters))) as client:
        response = await client.post("/api/messages", json={"type": "message"})
    assert response.status in (404, 405)


@pytest.mark.parametrize(
    ("update", "complaint"),
    [
        ({"MicrosoftAppPassword": None}, "MicrosoftAppPassword"),
        ({"ALLHANDS_TEAMS_REACTIONS": "like=delete"}, "ALLHANDS_TEAMS_REACTIONS"),
    ],
)
def test_unworkable_teams_settings_stop_the_server(
    db_url: str, core_settings: dict[str, object], update: dict[str, object], complaint: str
) -> None:
    core = make_core(db_url, **core_settings | update)
    try:
        with pytest.raises(ConfigError, match=complaint):
            chat_adapters(core, dev=False)
    finally:
        core.close()
