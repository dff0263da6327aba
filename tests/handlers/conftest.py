"""A running server (the real aiohttp app from app.py) on each database engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import build_core
from bot.config import Settings
from bot.core import Core
from handlers.server import build_server


@pytest.fixture
def core(db_url: str) -> Core:
    return build_core(Settings(ALLHANDS_DATABASE_URL=db_url))


@pytest.fixture
async def client(core: Core) -> AsyncIterator[TestClient[object, object]]:
    async with TestClient(TestServer(build_server(core, []))) as test_client:
        yield test_client


@pytest.fixture
def token(core: Core) -> str:
    return core.tokens.create("zendesk")


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
