"""Group commit: concurrent ingests share transactions, yet each gets its own answer."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.delivery.group_commit import ingest_queue
from bot.domain import Platform
from bot.errors import Conflict
from bot.intake import FeedbackDraft
from bot.ports.records import ListFilter
from bot.service import Desk, IngestRequest
from tests.support.builders import person
from tests.support.eventually import PATIENCE

API = person("zendesk", Platform.API)


def _request(body: str, external_id: str | None = None, key: str | None = None) -> IngestRequest:
    return IngestRequest(
        FeedbackDraft(source="zendesk", body=body, external_id=external_id), API, key
    )


async def test_concurrent_requests_share_batches_and_keep_their_own_results(desk: Desk) -> None:
    batches: list[int] = []
    original = desk.ingest_each

    def counting(requests):  # type: ignore[no-untyped-def]
        batches.append(len(requests))
        return original(requests)

    desk.ingest_each = counting  # type: ignore[method-assign]
    queue = ingest_queue(desk, max_batch=10)
    requests = [_request(f"item {n}", external_id=f"e{n % 25}") for n in range(50)]
    results = await asyncio.gather(*(queue.submit(r) for r in requests))

    assert len(batches) < 50  # requests that arrived together were written together
    assert max(batches) <= 10
    assert sum(r.created for r in results) == 25
    for request, result in zip(requests, results, strict=True):
        assert result.item.external_id == request.draft.external_id
    assert len(desk.search(ListFilter(limit=100))) == 25


async def test_one_bad_request_does_not_fail_its_batch(desk: Desk) -> None:
    queue = ingest_queue(desk)
    await queue.submit(_request("first", key="k"))
    outcomes = await asyncio.gather(
        queue.submit(_request("other text, same key", key="k")),
        queue.submit(_request("fine")),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], Conflict)
    assert not isinstance(outcomes[1], BaseException)
    assert outcomes[1].created


async def test_a_database_failure_reaches_every_waiting_request(desk: Desk) -> None:
    def broken(requests):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    desk.ingest_each = broken  # type: ignore[method-assign]
    queue = ingest_queue(desk)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await asyncio.gather(queue.submit(_request("a")), queue.submit(_request("b")))


async def test_a_batch_does_not_queue_behind_background_work_in_the_shared_pool(
    desk: Desk,
) -> None:
    """Clients wait on a batch; a worker's handlers filling the default pool must not delay it."""
    released = threading.Event()
    pool_size = 64  # more than the default executor's threads on any machine
    busy = [asyncio.to_thread(released.wait, 2 * PATIENCE) for _ in range(pool_size)]
    blockers = asyncio.gather(*busy)
    try:
        queue = ingest_queue(desk)
        # Queued behind the blockers, it would wait them out: longer than a hang is allowed.
        ingested = await asyncio.wait_for(queue.submit(_request("while busy")), PATIENCE)
        assert ingested.created
    finally:
        released.set()
        await blockers
