"""What a new operator meets over HTTP and in the logs: `/` says where to go, `/readyz` names
settings that send cards nowhere without logging Alembic's lines, and Bolt starts quietly."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import build_core
from bot.config import Settings
from bot.core import Core
from handlers.server import build_server, chat_adapters
from handlers.slack.adapter import SlackAdapter


@pytest.fixture
def client_with(db_url: str) -> Callable[..., TestServer]:
    """A server over a core built from these settings (the environment's are ignored), with
    the chat adapters they turn on, as `allhands serve` builds it; the test client closes it."""

    def make(**settings: str) -> TestServer:
        core = build_core(Settings(ALLHANDS_DATABASE_URL=db_url, **settings))  # type: ignore[arg-type]
        return TestServer(build_server(core, chat_adapters(core, dev=False)[0]))

    return make


async def readyz(server: TestServer) -> tuple[int, dict[str, object]]:
    async with TestClient(server) as client:
        response = await client.get("/readyz")
        return response.status, await response.json()


async def test_the_root_links_to_health_openapi_and_docs(
    client_with: Callable[..., TestServer],
) -> None:
    async with TestClient(client_with()) as client:
        response = await client.get("/")
        assert response.status == 200
        index = await response.json()
        assert index["links"]["openapi"] == "/api/v1/openapi.json"
        assert {index["links"]["health"], index["links"]["ready"]} == {"/healthz", "/readyz"}
        for link in index["links"].values():
            assert (await client.get(link)).status == 200
        assert "docs/" in index["docs"]


async def test_readyz_warns_about_slack_on_without_a_channel(
    client_with: Callable[..., TestServer],
) -> None:
    status, body = await readyz(client_with(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s"))
    assert status == 200
    assert body["status"] == "ready"
    (warning,) = body["warnings"]  # type: ignore[misc]
    assert str(warning).startswith("Slack is on but no channel gets its cards")


async def test_readyz_warns_about_a_channel_on_a_platform_that_is_off(
    client_with: Callable[..., TestServer],
) -> None:
    status, body = await readyz(client_with(ALLHANDS_SLACK_CHANNEL="C0FEEDBACK"))
    assert status == 200
    assert body["warnings"] == [
        "ALLHANDS_SLACK_CHANNEL: slack:C0FEEDBACK gets no card: Slack is off "
        "(set `SLACK_BOT_TOKEN`)"
    ]


async def test_readyz_has_no_warnings_when_every_platform_on_has_a_channel(
    client_with: Callable[..., TestServer],
) -> None:
    on = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "ALLHANDS_SLACK_CHANNEL": "C1"}
    assert await readyz(client_with(**on)) == (200, {"status": "ready", "warnings": []})


async def test_readyz_logs_nothing_of_alembics_own(
    client_with: Callable[..., TestServer], caplog: pytest.LogCaptureFixture
) -> None:
    async with TestClient(client_with()) as client:
        with caplog.at_level(logging.DEBUG):
            for _ in range(3):
                assert (await client.get("/readyz")).status == 200
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []


def test_bolt_does_not_warn_that_the_token_goes_unused(
    db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Set the way operators set it: in the environment, where Bolt looks for it itself."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    core: Core = build_core(Settings(ALLHANDS_DATABASE_URL=db_url))
    with caplog.at_level(logging.DEBUG):
        adapter = SlackAdapter.from_settings(core.settings, core)
    assert adapter is not None
    assert [r.getMessage() for r in caplog.records if "token" in r.getMessage()] == []
