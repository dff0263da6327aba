"""`/metrics`, request ids and JSON logs, read the way Prometheus and a log pipeline read them."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot.admin.routing import StaticRouter
from bot.core import Core
from bot.delivery.outbox import OutboxWorker
from bot.domain import Platform
from bot.errors import DeliveryError
from bot.intake import FeedbackDraft
from bot.ports.records import OutboxAction
from bot.service import Desk
from handlers.observability import ANSWERING_KEY, CROWD, REQUEST_ID_HEADER, JsonFormatter
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.clock import FakeClock
from tests.support.doubles import RecordingListener, RecordingPoster
from tests.support.eventually import eventually

Client = TestClient[object, object]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
ITEM = {"source": "email", "body": "The export button does nothing"}


async def scrape(client: Client) -> Samples:
    """Every sample `/metrics` shows, keyed by (name, labels), parsed as Prometheus would."""
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(await response.text())
        for sample in family.samples
    }


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_requests_are_counted_and_timed_by_route_pattern_not_raw_path(
    client: Client, auth: dict[str, str]
) -> None:
    route = "/api/v1/feedback/{ref}"
    before = await scrape(client)
    for ref in ("FB-1001", "FB-1002", "FB-1003"):
        assert (await client.get(f"/api/v1/feedback/{ref}", headers=auth)).status == 404
    after = await scrape(client)
    counted = {"route": route, "method": "GET", "status": "404"}
    assert grew(before, after, "allhands_http_requests_total", **counted) == 3
    assert grew(before, after, "allhands_http_request_seconds_count", route=route) == 3
    assert not [key for key in after if "FB-100" in str(key)]


async def test_requests_in_progress_are_counted_for_the_work_beside_them(
    client: Client, auth: dict[str, str]
) -> None:
    """The server's worker steps back while more than CROWD requests are in progress."""
    answering = client.server.app[ANSWERING_KEY]
    release = asyncio.Event()

    async def held_body() -> AsyncIterator[bytes]:
        whole = json.dumps(ITEM).encode()
        yield whole[:1]  # the headers go out with the first chunk
        await release.wait()
        yield whole[1:]

    headers = auth | {"Content-Type": "application/json"}
    held = [
        asyncio.ensure_future(client.post("/api/v1/feedback", data=held_body(), headers=headers))
        for _ in range(CROWD + 1)
    ]
    await eventually(lambda: answering.now >= CROWD + 1)
    assert answering.crowded()

    release.set()
    assert [response.status for response in await asyncio.gather(*held)] == [201] * (CROWD + 1)
    assert (answering.now, answering.crowded()) == (0, False)


async def test_backlogs_are_read_from_the_database_at_scrape_time(
    client: Client, core: Core, clock: FakeClock
) -> None:
    empty = await scrape(client)
    assert empty[("allhands_outbox_pending", frozenset())] == 0
    assert empty[("allhands_outbox_oldest_age_seconds", frozenset())] == 0
    assert empty[("allhands_inbox_pending", frozenset())] == 0
    with core.db.write() as uow:
        for channel in ("C1", "C2"):
            uow.outbox.enqueue(
                Platform.SLACK, channel, OutboxAction.POST_CARD, None, {}, clock.now()
            )
        later = clock.now() + timedelta(hours=1)  # not due yet: the worker leaves it waiting
        uow.inbox.record([(Platform.SLACK, "event:Ev1", {})], later)
        uow.commit()
    clock.advance(seconds=90)
    waiting = await scrape(client)
    assert waiting[("allhands_outbox_pending", frozenset())] == 2
    assert waiting[("allhands_outbox_oldest_age_seconds", frozenset())] == 90
    assert waiting[("allhands_inbox_pending", frozenset())] == 1


async def test_committed_changes_are_counted_by_kind(
    client: Client, core: Core, auth: dict[str, str]
) -> None:
    before = await scrape(client)
    created = await client.post("/api/v1/feedback", json=ITEM, headers=auth)
    await asyncio.to_thread(core.desk.claim, (await created.json())["ref"], person("ana"))
    after = await scrape(client)
    for kind in ("ingested", "claimed"):
        assert grew(before, after, "allhands_feedback_events_total", kind=kind) == 1
    assert grew(before, after, "allhands_feedback_events_total", kind="closed") == 0


def test_the_outbox_counts_429s_but_not_other_failures(
    database: SqlStore, clock: FakeClock
) -> None:
    desk = Desk(database, StaticRouter(slack_channel="C1"), RecordingListener(), clock)
    desk.ingest(FeedbackDraft(source="email", body="Slow down"), person("api", Platform.API))
    poster = RecordingPoster(
        failures=[
            DeliveryError("ratelimited", 1.0, rate_limited=True),
            DeliveryError("internal_error", 2.0),
        ]
    )
    worker = OutboxWorker(database, {Platform.SLACK: poster}, clock)

    def count() -> float:
        labels = {"platform": "slack"}
        return REGISTRY.get_sample_value("allhands_chat_rate_limited_total", labels) or 0.0

    start = count()
    asyncio.run(worker.drain_once())
    assert count() - start == 1
    clock.advance(seconds=2)
    asyncio.run(worker.drain_once())
    assert count() - start == 1
    clock.advance(seconds=3)
    asyncio.run(worker.drain_once())
    assert [call[0] for call in poster.calls] == ["post"]


@pytest.fixture
def json_lines() -> Iterator[list[str]]:
    """Every log line of the test as the JSON formatter writes it, formatted as it is emitted."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(logging.INFO)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


async def test_a_sane_request_id_is_kept_and_tags_every_log_line_of_the_request(
    client: Client, auth: dict[str, str], json_lines: list[str]
) -> None:
    headers = {**auth, REQUEST_ID_HEADER: "edge-7f3a.42"}
    response = await client.post("/api/v1/feedback", json=ITEM, headers=headers)
    assert response.status == 201
    assert response.headers[REQUEST_ID_HEADER] == "edge-7f3a.42"
    entries = [json.loads(line) for line in json_lines]
    changed = [e for e in entries if e["message"].startswith("feedback.changed")]
    assert changed
    assert {e["request_id"] for e in changed} == {"edge-7f3a.42"}
    missing = await client.get("/no-such-page", headers={REQUEST_ID_HEADER: "edge-8"})
    assert missing.status == 404
    assert missing.headers[REQUEST_ID_HEADER] == "edge-8"


@pytest.mark.parametrize("given", [None, "", "has spaces", "x" * 129, "a;b", "ü"])
async def test_a_missing_or_odd_request_id_is_replaced_by_a_fresh_one(
    client: Client, given: str | None
) -> None:
    headers = {} if given is None else {REQUEST_ID_HEADER: given}
    first = (await client.get("/healthz", headers=headers)).headers[REQUEST_ID_HEADER]
    second = (await client.get("/healthz", headers=headers)).headers[REQUEST_ID_HEADER]
    assert first != given
    assert len(first) == 32
    assert first != second


def test_json_lines_carry_extra_fields_and_the_traceback_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("allhands.test").makeRecord(
            "allhands.test",
            logging.ERROR,
            __file__,
            1,
            "outbox.failed id=%s",
            (7,),
            exc_info=sys.exc_info(),
            extra={"platform": "slack", "attempt": 3},
        )
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "outbox.failed id=7"
    assert (entry["level"], entry["logger"]) == ("ERROR", "allhands.test")
    assert (entry["platform"], entry["attempt"]) == ("slack", 3)
    assert entry["request_id"] is None
    assert "ValueError: boom" in entry["exception"]
    assert entry["time"].endswith("+00:00")
