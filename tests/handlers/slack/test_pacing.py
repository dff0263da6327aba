"""Acceptance: the outbox posts into a channel no faster than Slack allows, so Slack refuses none,
and a channel with a backlog holds up no other channel.

The fake Slack enforces the per-channel limit in real time; the tests shrink Slack's one
second to a fraction so they stay quick, and the poster's pacer with it. Where a test claims
how long the pacer waits, the pacer runs on virtual time instead.
"""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core
from bot.delivery import pacing
from bot.delivery.outbox import OutboxWorker
from bot.delivery.pacing import Pacer
from bot.domain import Identity, Platform
from bot.intake import FeedbackDraft
from handlers.slack.people import SlackPeople
from handlers.slack.poster import SlackPoster
from tests.support.builders import API
from tests.support.clock import FakeClock, VirtualTime
from tests.support.eventually import PATIENCE, eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack_payloads import CARDS

pytestmark = pytest.mark.real_pacing  # the app's own pacer, should a test here use it

INTERVAL = 0.25  # Slack's "one message per second per channel", shrunk
BUSY = "C0BUSY"


def _poster(core: Core, slack: FakeSlackApi, clock: FakeClock) -> SlackPoster:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])
    return SlackPoster(client, SlackPeople(client, core.desk), clock, Pacer(1, INTERVAL))


def _ingest(core: Core, body: str, tags: list[str] | None = None) -> str:
    draft = FeedbackDraft(source="zendesk", body=body, tags=tags or [])
    return core.desk.ingest(draft, API).item.ref


async def test_a_burst_into_one_channel_is_paced_and_never_refused(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    limit = slack.limit_per_channel(interval=INTERVAL)
    outbox = OutboxWorker(core.db, {Platform.SLACK: _poster(core, slack, clock)}, clock)
    refs = [_ingest(core, f"Export fails ({n})") for n in range(4)]
    claimed = Identity(Platform.SLACK, "T0001:UANA", "Ana Lima", "ana@example.com")
    core.desk.claim(refs[0], claimed)  # a thread note: it counts against the channel too

    await outbox.drain_once()

    assert limit.refused == 0
    assert limit.posted == 5
    cards = slack.cards(CARDS)
    assert [next(r for r in refs if r in card.text) for card in cards] == refs
    assert len(slack.replies(CARDS, cards[0].ts)) == 1


async def test_a_backlogged_channel_holds_up_no_other_channel(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    limit = slack.limit_per_channel(interval=INTERVAL)
    busy_rule = {
        "name": "busy",
        "tags": ["busy"],
        "destinations": [{"platform": "slack", "channel": BUSY}],
    }
    core.admin.change("routes", {"rules": [busy_rule]}, None)
    # A small batch: the busy channel's backlog alone fills a round.
    outbox = OutboxWorker(core.db, {Platform.SLACK: _poster(core, slack, clock)}, clock, batch=3)
    for n in range(6):
        _ingest(core, f"Busy {n}", ["busy"])
    quiet = _ingest(core, "Quiet channel item")

    stuck = slack.hold("chat.postMessage", channel=BUSY)  # until the quiet card is up

    running = asyncio.create_task(outbox.run())
    try:
        await eventually(lambda: slack.cards(CARDS), what="the quiet channel's card")
        busy_cards_then = len(slack.cards(BUSY))
        slack.release(stuck)
        await eventually(lambda: len(slack.cards(BUSY)) == 6)
    finally:
        outbox.stop()
        await asyncio.wait_for(running, PATIENCE)

    assert quiet in slack.cards(CARDS)[0].text
    assert busy_cards_then == 0  # the quiet card did not wait for the busy channel at all
    assert limit.refused == 0


async def test_the_pacer_counts_a_send_from_its_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack sees a post somewhere between its start and its answer: a slow one that arrived
    late must not let the next one arrive less than the interval after it."""
    time = VirtualTime.installed(monkeypatch, pacing)
    pacer = Pacer(1, INTERVAL)
    async with pacer.sending(CARDS):
        time.advance(INTERVAL)  # a slow request
    start = time.monotonic()
    async with pacer.sending(CARDS):
        waited = time.monotonic() - start
    start = time.monotonic()
    async with pacer.sending(BUSY):
        other_waited = time.monotonic() - start

    assert waited >= INTERVAL * 0.95
    assert other_waited == 0  # another channel does not wait
