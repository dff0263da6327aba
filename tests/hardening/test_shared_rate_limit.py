"""The API's rate counts items, in one bucket per token that every replica spends from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core import Core
from bot.ports.records import ListFilter
from handlers.server import build_server
from tests.support.clock import FakeClock
from tests.support.core import make_core

Client = TestClient[Any, Any]
RATE = {"ALLHANDS_API_RATE": 2.0, "ALLHANDS_API_BURST": 10}


def _items(count: int, start: int = 0) -> dict[str, Any]:
    return {
        "items": [
            {"source": "zendesk", "external_id": f"z-{n}", "body": f"Item {n}"}
            for n in range(start, start + count)
        ]
    }


def _stored(core: Core) -> int:
    return len(core.desk.search(ListFilter(limit=200)))


@pytest.fixture
async def replicas(db_url: str, clock: FakeClock) -> AsyncIterator[tuple[list[Client], str]]:
    """Two replicas (each its own core, engine and server) over one database, on one clock,
    and a token both know."""
    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(2):
            server = TestServer(build_server(make_core(db_url, clock, **RATE), []))
            clients.append(await stack.enter_async_context(TestClient(server)))
        maker = make_core(db_url, clock)
        token = maker.tokens.create("zendesk", read=True)
        maker.close()
        yield clients, token


async def test_two_replicas_together_honour_one_tokens_rate(
    replicas: tuple[list[Client], str], clock: FakeClock
) -> None:
    (first, second), token = replicas
    auth = {"Authorization": f"Bearer {token}"}
    assert (await first.post("/api/v1/feedback/batch", json=_items(6), headers=auth)).status == 200
    batch = _items(4, start=6)
    assert (await second.post("/api/v1/feedback/batch", json=batch, headers=auth)).status == 200
    for replica in (first, second):
        refused = await replica.post("/api/v1/feedback/batch", json=_items(1, 10), headers=auth)
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "1"  # one item at 2 a second

    clock.advance(seconds=1)  # two items' worth, for whichever replica asks first
    assert (
        await second.post("/api/v1/feedback/batch", json=_items(2, 10), headers=auth)
    ).status == 200
    assert (
        await first.post("/api/v1/feedback/batch", json=_items(1, 12), headers=auth)
    ).status == 429


async def test_a_batch_costs_its_items_and_one_larger_than_what_is_left_is_refused(
    core_with_rate: Core, clock: FakeClock
) -> None:
    token = core_with_rate.tokens.create("zendesk", read=True)
    auth = {"Authorization": f"Bearer {token}"}
    async with TestClient(TestServer(build_server(core_with_rate, []))) as client:
        assert (
            await client.post("/api/v1/feedback/batch", json=_items(7), headers=auth)
        ).status == 200
        refused = await client.post("/api/v1/feedback/batch", json=_items(4, 7), headers=auth)
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "1"  # 3 left, a 4th in half a second
        assert (await refused.json())["type"] == "urn:allhands:problem:rate-limited"
        assert _stored(core_with_rate) == 7

        assert (
            await client.post("/api/v1/feedback/batch", json=_items(3, 7), headers=auth)
        ).status == 200
        clock.advance(seconds=2)
        assert (
            await client.post("/api/v1/feedback", json=_items(1, 10)["items"][0], headers=auth)
        ).status == 201
        waits = await client.post("/api/v1/feedback/batch", json=_items(8, 11), headers=auth)
        assert waits.headers["Retry-After"] == "3"  # 3 left of 8: five more at 2 a second
        assert _stored(core_with_rate) == 11


async def test_a_batch_larger_than_the_burst_is_refused_as_never_possible(
    core_with_rate: Core,
) -> None:
    auth = {"Authorization": f"Bearer {core_with_rate.tokens.create('zendesk')}"}
    async with TestClient(TestServer(build_server(core_with_rate, []))) as client:
        refused = await client.post("/api/v1/feedback/batch", json=_items(11), headers=auth)
        assert refused.status == 422
        assert (await refused.json())["field"] == "items"
        assert (
            await client.post("/api/v1/feedback/batch", json=_items(10), headers=auth)
        ).status == 200


@pytest.mark.parametrize(
    ("burst", "fewest"),
    [
        (25, 25),  # a small bucket: every item spent in the database, exactly
        (1000, 980),  # each replica takes 10 ahead: all but what two replicas still hold
    ],
)
def test_replicas_spending_at_once_never_spend_the_same_tokens(
    db_url: str, clock: FakeClock, burst: int, fewest: int
) -> None:
    cores = [
        make_core(db_url, clock, ALLHANDS_API_RATE=0.001, ALLHANDS_API_BURST=burst)
        for _ in range(2)
    ]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            asks = range(burst + 100)
            waits = list(pool.map(lambda n: cores[n % 2].api_limits.take("api:busy"), asks))
    finally:
        for core in cores:
            core.close()
    admitted = sum(1 for wait in waits if wait == 0)
    assert fewest <= admitted <= burst


@pytest.fixture
def core_with_rate(db_url: str, clock: FakeClock) -> Iterator[Core]:
    core = make_core(db_url, clock, **RATE)
    yield core
    core.close()
