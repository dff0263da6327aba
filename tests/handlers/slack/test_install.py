"""The manifest names what the code registers; the adapter turns on only when it can work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from bot.commands.console import ChatCommand
from handlers.cli.context import ConfigError
from handlers.server import chat_adapters
from handlers.slack.adapter import ROUTE, SlackAdapter
from handlers.slack.ids import SlackEvent, SlackId
from tests.support.core import make_core
from tests.support.slack_payloads import signature_headers

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "deploy/slack/manifest.yaml").read_text())
    return loaded


def test_the_manifest_names_the_shortcut_and_command_the_code_registers(
    manifest: dict[str, Any],
) -> None:
    features = manifest["features"]
    assert [s["callback_id"] for s in features["shortcuts"]] == [SlackId.LOG_SHORTCUT]
    assert [s["type"] for s in features["shortcuts"]] == ["message"]
    assert [c["command"] for c in features["slash_commands"]] == [SlackId.COMMAND]
    assert features["app_home"]["home_tab_enabled"] is True
    hint = features["slash_commands"][0]["usage_hint"].split(" | ")
    assert {word.split()[0] for word in hint} == set(ChatCommand)


def test_the_manifest_sends_everything_to_the_one_route_and_the_events_we_handle(
    manifest: dict[str, Any],
) -> None:
    settings = manifest["settings"]
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    ]
    assert all(url.endswith(ROUTE) for url in urls)
    subscribed = {e.split(".")[0] for e in settings["event_subscriptions"]["bot_events"]}
    assert subscribed == set(SlackEvent)
    assert "users:read.email" in manifest["oauth_config"]["scopes"]["bot"]


def test_slack_is_off_without_a_bot_token(db_url: str) -> None:
    adapters, lines = chat_adapters(make_core(db_url), dev=False)
    assert adapters == []
    assert lines[0].startswith("Slack: off (set SLACK_BOT_TOKEN")


def test_http_mode_needs_the_signing_secret(db_url: str) -> None:
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        chat_adapters(make_core(db_url, SLACK_BOT_TOKEN="xoxb-1"), dev=False)


def test_modes(db_url: str) -> None:
    http = make_core(db_url, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    socket = make_core(db_url, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1")
    assert chat_adapters(http, dev=False)[1][0] == "Slack: HTTP at POST /slack/events"
    adapter = SlackAdapter.from_settings(socket.settings, socket)
    assert adapter is not None
    assert adapter.mode == "Socket Mode"


async def test_unsigned_or_stale_requests_are_refused(client: TestClient[Any, Any]) -> None:
    body = '{"type": "url_verification", "challenge": "c"}'
    cases = [
        signature_headers(body, secret="wrong"),
        signature_headers(body, at=1_000_000_000),  # replayed long after it was signed
        {},
    ]
    for headers in cases:
        response = await client.post(
            ROUTE, data=body, headers={"Content-Type": "application/json", **headers}
        )
        assert response.status == 401
