"""The real server with the real CloudAdapter, a fake Bot Connector, and no way out to the internet.

Activities are the real Teams recordings with their serviceUrl pointed at the fake connector;
requests carry channel tokens the fake signed, checked by botbuilder against the keys the fake
publishes.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core import Core
from handlers.chat import ChatAdapter
from handlers.teams.adapter import TeamsAdapter
from tests.support.fakes.connector import FakeConnector
from tests.support.teams import Post, bot_framework, teams_adapter, teams_settings


@pytest.fixture(autouse=True)
def no_internet(no_internet: None) -> None:
    """On for every test here: botbuilder reaches nothing but the fakes."""


@pytest.fixture
def core_settings(connector: FakeConnector) -> dict[str, Any]:
    return teams_settings(connector)


@pytest.fixture
def teams(core: Core, connector: FakeConnector) -> TeamsAdapter:
    return teams_adapter(core, connector)


@pytest.fixture
def adapters(teams: TeamsAdapter) -> list[ChatAdapter]:
    return [teams]


@pytest.fixture
def post(client: TestClient[Any, Any], connector: FakeConnector) -> Post:
    """POST an activity to /api/messages the way the Bot Framework does (signed token)."""
    return bot_framework(client, connector)
