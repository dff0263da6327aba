"""PostgreSQL goes away under a running server: 503 with Retry-After, nothing lost, no restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import create_engine, text

from handlers.server import build_server
from storage.db import upgrade
from tests.support.core import make_core
from tests.support.databases import ThrowawayPostgres, needs_postgres_binaries, throwaway_postgres

pytestmark = needs_postgres_binaries
OUTAGE_SECONDS = 30


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    server = throwaway_postgres()
    try:
        server.start()
        upgrade(server.url)
        yield server
    finally:
        server.remove()


def stored_external_ids(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT external_id FROM feedback"))
            return {row[0] for row in rows}
    finally:
        engine.dispose()


async def test_ingest_answers_503_while_postgres_is_down_and_recovers_without_restart(
    postgres: ThrowawayPostgres,
) -> None:
    core = make_core(postgres.url)
    auth = {"Authorization": f"Bearer {core.tokens.create('zendesk')}"}
    acknowledged: set[str] = set()
    async with TestClient(TestServer(build_server(core, []))) as client:

        async def send(external_id: str) -> int:
            item = {"source": "zendesk", "external_id": external_id, "body": "Export is broken"}
            response = await client.post("/api/v1/feedback", json=item, headers=auth)
            if response.status == 201:
                acknowledged.add(external_id)
            else:
                assert response.status == 503, await response.text()
                assert response.headers["Retry-After"].isdigit()
                assert (await response.json())["type"] == "urn:allhands:problem:unavailable"
            return response.status

        assert [await send(f"before-{n}") for n in range(3)] == [201] * 3

        postgres.stop()
        during: list[str] = []
        down_until = time.monotonic() + OUTAGE_SECONDS
        while time.monotonic() < down_until:  # a client retrying through the whole outage
            during.append(f"during-{len(during)}")
            assert await send(during[-1]) == 503
            await asyncio.sleep(1)
        assert (await client.get("/api/v1/feedback", headers=auth)).status == 503
        assert (await client.get("/readyz")).status == 503
        assert (await client.get("/metrics")).status == 200

        postgres.start()
        assert [await send(external_id) for external_id in during] == [201] * len(during)
        assert (await client.get("/readyz")).status == 200
    assert len(acknowledged) == 3 + len(during)
    assert stored_external_ids(postgres.url) == acknowledged
