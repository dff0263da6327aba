"""Per-token rate limit on the ingest API: one runaway client is told to wait; others are not.
The in-memory buckets still limit look-ups of unknown tokens per address."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from handlers.rate_limit import TokenBuckets
from handlers.server import build_server
from tests.support.core import make_core

ITEM = {"source": "email", "body": "Too many of these"}


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    clock = ManualClock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("zendesk") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("zendesk") == 0.5
    assert buckets.take("appstore") == 0.0
    clock.now += 0.5
    assert buckets.take("zendesk") == 0.0
    assert buckets.take("zendesk") == 0.5
    clock.now += 3600
    assert [buckets.take("zendesk") for _ in range(4)] == [0.0, 0.0, 0.0, 0.5]


async def test_a_token_over_its_limit_gets_429_with_retry_after(db_url: str) -> None:
    core = make_core(db_url, ALLHANDS_API_RATE=0.01, ALLHANDS_API_BURST=2)
    fast = {"Authorization": f"Bearer {core.tokens.create('fast', read=True)}"}
    calm = {"Authorization": f"Bearer {core.tokens.create('calm', read=True)}"}
    async with TestClient(TestServer(build_server(core, []))) as client:
        statuses = [
            (await client.post("/api/v1/feedback", json=ITEM, headers=fast)).status
            for _ in range(2)
        ]
        assert statuses == [201, 201]
        refused = await client.post("/api/v1/feedback", json=ITEM, headers=fast)
        assert refused.status == 429
        assert refused.content_type == "application/problem+json"
        assert int(refused.headers["Retry-After"]) >= 1
        assert (await refused.json())["type"] == "urn:allhands:problem:rate-limited"
        assert (await client.get("/api/v1/feedback", headers=fast)).status == 429
        assert (await client.get("/api/v1/feedback", headers=calm)).status == 200
        wrong = {"Authorization": "Bearer ah_not-a-token"}
        assert (await client.get("/api/v1/feedback", headers=wrong)).status == 401
