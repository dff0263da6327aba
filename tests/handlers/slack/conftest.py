"""The real server with the Slack adapter on, talking to the fake Slack Web API.

Requests go in signed to /slack/events; whatever the server sends Slack is recorded by the fake.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core import Core
from handlers.chat import ChatAdapter
from handlers.server import chat_adapters
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack import ingest_with_card, slack_settings
from tests.support.slack_payloads import SlackSender


@pytest.fixture
def core_settings(slack: FakeSlackApi) -> dict[str, Any]:
    return slack_settings(slack)


@pytest.fixture
def adapters(core: Core) -> list[ChatAdapter]:
    return chat_adapters(core, dev=False)[0]


@pytest.fixture
def sender(client: TestClient[Any, Any]) -> SlackSender:
    return SlackSender(client)


@pytest.fixture
def ingest(
    core: Core, slack: FakeSlackApi, client: TestClient[Any, Any]
) -> Callable[..., Awaitable[tuple[str, str]]]:
    """Ingest an item over the core and wait until its card is posted and recorded (the
    server's outbox sends it). Returns (item ref, card ts)."""

    async def ingest_one(
        body: str = "The export button does nothing", **fields: Any
    ) -> tuple[str, str]:
        return await ingest_with_card(core, slack, body, **fields)

    return ingest_one
