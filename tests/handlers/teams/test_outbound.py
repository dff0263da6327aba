"""Connector failures: what is retried, after how long, what is given up, and the send pace."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core import Core
from bot.delivery import pacing
from bot.delivery.outbox import OutboxWorker
from bot.delivery.pacing import Pacer
from bot.domain import Platform, Severity
from bot.intake import FeedbackDraft
from handlers.teams.adapter import TeamsAdapter
from tests.support.builders import API
from tests.support.clock import FakeClock, VirtualTime
from tests.support.fakes.connector import FakeConnector
from tests.support.outbox import pending
from tests.support.teams import CHANNEL, installed_in_team


@pytest.fixture
def worker(core: Core, teams: TeamsAdapter, connector: FakeConnector) -> OutboxWorker:
    """The outbox, driven by hand; the app is installed in the team already."""
    installed_in_team(core, connector)
    return OutboxWorker(core.db, {Platform.TEAMS: teams.poster}, core.clock)


def ingest(core: Core, body: str = "Checkout is slow") -> None:
    core.desk.ingest(FeedbackDraft(source="email", body=body), API)


def posts(connector: FakeConnector) -> int:
    return len(connector.sent("POST"))


async def test_429_waits_for_retry_after_then_posts(
    core: Core, connector: FakeConnector, worker: OutboxWorker, clock: FakeClock
) -> None:
    connector.fail_next("POST", 429, retry_after=7)
    ingest(core)

    await worker.drain_once()
    clock.advance(seconds=6)
    assert await worker.drain_once() == 0  # still inside Retry-After
    clock.advance(seconds=1)
    await worker.drain_once()

    assert posts(connector) == 2
    assert pending(core.db) == 0


@pytest.mark.parametrize("status", [412, 502, 504])
async def test_transient_failures_are_retried_with_backoff(
    core: Core, connector: FakeConnector, worker: OutboxWorker, clock: FakeClock, status: int
) -> None:
    connector.fail_next("POST", status, times=2)
    ingest(core)

    await worker.drain_once()
    clock.advance(seconds=2)
    await worker.drain_once()  # second failure: the wait doubles
    clock.advance(seconds=3)
    assert await worker.drain_once() == 0
    clock.advance(seconds=1)
    await worker.drain_once()

    assert posts(connector) == 3
    assert pending(core.db) == 0


async def test_403_is_given_up_at_once_and_logged_once_per_conversation(
    core: Core,
    connector: FakeConnector,
    worker: OutboxWorker,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="handlers.teams.poster")
    connector.fail_next("POST", 403, times=2, code="MessageWritesBlocked")
    ingest(core, "first")
    ingest(core, "second")

    await worker.drain_once()
    clock.advance(hours=1)
    await worker.drain_once()

    assert posts(connector) == 2  # one try each, no retry loop
    assert pending(core.db) == 0
    refused = [r for r in caplog.records if "teams.refused" in r.getMessage()]
    assert len(refused) == 1
    assert "MessageWritesBlocked" in refused[0].getMessage()


async def test_not_installed_yet_waits_instead_of_failing(
    core: Core, teams: TeamsAdapter, connector: FakeConnector, clock: FakeClock
) -> None:
    worker = OutboxWorker(core.db, {Platform.TEAMS: teams.poster}, core.clock)
    ingest(core)

    await worker.drain_once()

    assert posts(connector) == 0
    assert pending(core.db) == 1


async def test_pacer_keeps_each_conversation_under_its_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    time = VirtualTime.installed(monkeypatch, pacing)
    pacer = Pacer(rate=6, window=0.2)
    start = time.monotonic()

    await asyncio.gather(*(pacer.wait("busy") for _ in range(13)))
    busy = time.monotonic() - start
    start = time.monotonic()
    await pacer.wait("quiet")

    assert busy >= 0.4  # 13 sends at 6 per window need three windows
    assert time.monotonic() - start == 0  # another conversation does not wait at all


async def test_an_urgent_card_mentions_the_routes_tag_in_its_thread(
    core: Core, connector: FakeConnector, worker: OutboxWorker
) -> None:
    paging = {"platform": "teams", "channel": CHANNEL, "mention": "MjQz+YWE="}
    core.admin.change("routes", {"default": [paging]}, None)
    draft = FeedbackDraft(source="email", body="Site is down", severity=Severity.URGENT)
    urgent = core.desk.ingest(draft, API).item
    ingest(core, "Typo on the pricing page")  # normal severity: no mention

    await worker.drain_once()

    with core.db.read() as uow:
        card_id = uow.cards.for_item(urgent.id)[0].message_id
    card, page, other_card = connector.sent("POST")
    assert [card.path, other_card.path] == [f"/v3/conversations/{CHANNEL}/activities"] * 2
    assert page.path == f"/v3/conversations/{CHANNEL};messageid={card_id}/activities"
    assert page.body["text"] == f"<at>Tag</at> urgent: {urgent.ref} needs someone now"
    assert page.body["entities"] == [
        {
            "type": "mention",
            "text": "<at>Tag</at>",
            "mentioned": {"id": "MjQz+YWE=", "name": "Tag", "type": "tag"},
        }
    ]
