"""The real server (app.py) with the Slack adapter on, talking to a fake Slack Web API.

Requests go in signed to /slack/events; whatever the server sends Slack is recorded by the fake.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import build_core
from bot.config import Settings
from bot.core import Core
from bot.domain import Identity, Platform
from bot.intake import FeedbackDraft
from handlers.server import build_server, chat_adapters
from handlers.slack.ids import message_key
from tests.fakes.slack_api import FakeSlackApi
from tests.handlers.slack.payloads import CARDS, SECRET, SlackSender
from tests.handlers.slack.support import eventually
from tests.support import FakeClock

API = Identity(Platform.API, "zendesk", "zendesk")


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(now=lambda: clock.now().timestamp()) as fake:
        fake.add_user("UANA", "Ana Lima", "ana@example.com")
        fake.add_user("UBEN", "Ben Okafor", "ben@example.com")
        fake.add_user("UCAT", "Cat Jones", "cat@example.com")
        yield fake


@pytest.fixture
def settings(db_url: str, slack: FakeSlackApi) -> Settings:
    return Settings(
        ALLHANDS_DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        ALLHANDS_SLACK_CHANNEL=CARDS,
    )


@pytest.fixture
def core(settings: Settings, clock: FakeClock) -> Core:
    return build_core(settings, clock)


@pytest.fixture
async def server(core: Core) -> AsyncIterator[TestClient[Any, Any]]:
    adapters, _ = chat_adapters(core, dev=False)
    async with TestClient(TestServer(build_server(core, adapters))) as client:
        yield client


@pytest.fixture
def sender(server: TestClient[Any, Any]) -> SlackSender:
    return SlackSender(server)


@pytest.fixture
def ingest(core: Core, slack: FakeSlackApi, server: TestClient[Any, Any]) -> Callable[..., Any]:
    """Ingest an item over the core and wait until its card is posted and recorded.

    Returns (item ref, card ts).
    """

    async def ingest_one(
        body: str = "The export button does nothing", **fields: Any
    ) -> tuple[str, str]:
        before = len(slack.cards(CARDS))
        item = core.desk.ingest(FeedbackDraft(source="zendesk", body=body, **fields), API).item
        await eventually(lambda: len(slack.cards(CARDS)) > before)
        ts = slack.cards(CARDS)[before].ts
        await eventually(lambda: core.desk.item_for_card(Platform.SLACK, message_key(CARDS, ts)))
        return item.ref, ts

    return ingest_one
