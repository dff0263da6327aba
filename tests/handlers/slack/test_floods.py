"""Acceptance (probe finding "one token buries every card"): a batch of 500 items does not hold
up a later urgent card, and a flood from one source is summarised in one message, updated in
place, instead of hundreds of cards.

Everything goes through the real outbox and the real slack_sdk client to the fake Slack.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core
from bot.delivery.outbox import OutboxWorker
from bot.delivery.pacing import Pacer
from bot.domain import Platform, Severity
from bot.intake import FeedbackDraft
from bot.ports.records import ListFilter
from handlers.slack.people import SlackPeople
from handlers.slack.poster import SlackPoster
from tests.support.builders import API
from tests.support.clock import FakeClock
from tests.support.eventually import PATIENCE, eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import Message
from tests.support.slack import slack_settings
from tests.support.slack_payloads import CARDS

FLOOD_LIMIT = 3


@pytest.fixture
def core_settings(slack: FakeSlackApi, request: pytest.FixtureRequest) -> dict[str, Any]:
    """Slack against the fake; the flood limit FLOOD_LIMIT unless a test passes its own."""
    limit = getattr(request, "param", FLOOD_LIMIT)
    return {**slack_settings(slack), "ALLHANDS_FLOOD_CARDS_PER_HOUR": str(limit)}


def _outbox(core: Core, slack: FakeSlackApi, clock: FakeClock, **options: Any) -> OutboxWorker:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])
    poster = SlackPoster(client, SlackPeople(client, core.desk), clock, Pacer(1, 0.0))
    return OutboxWorker(core.db, {Platform.SLACK: poster}, clock, **options)


def _batch(core: Core, source: str, count: int) -> None:
    drafts = [FeedbackDraft(source=source, body=f"Crashes on launch ({n})") for n in range(count)]
    core.desk.ingest_many(drafts, API)


def _ingest(core: Core, source: str, body: str, severity: Severity = Severity.NORMAL) -> str:
    draft = FeedbackDraft(source=source, body=body, severity=severity)
    return core.desk.ingest(draft, API).item.ref


def _summaries(slack: FakeSlackApi) -> list[Message]:
    return [m for m in slack.cards(CARDS) if "more from" in m.text]


@pytest.mark.parametrize("core_settings", [0], indirect=True)  # no flood limit: 500 cards
async def test_an_urgent_card_goes_out_ahead_of_a_500_card_backlog(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    _batch(core, "appstore", 500)
    urgent = _ingest(core, "zendesk", "Checkout is down for everyone", Severity.URGENT)
    high = _ingest(core, "zendesk", "Refunds fail", Severity.HIGH)

    await _outbox(core, slack, clock, batch=4).drain_once()

    cards = slack.cards(CARDS)
    assert urgent in cards[0].text
    assert high in cards[1].text
    assert len(cards) == 4


async def test_an_urgent_card_overtakes_a_channel_run_already_under_way(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    refs = [_ingest(core, f"source{n}", f"Slow sync ({n})") for n in range(5)]
    outbox = _outbox(core, slack, clock)
    first = slack.hold("chat.postMessage", times=1)
    running = asyncio.create_task(outbox.run())
    try:
        await slack.wait_for("chat.postMessage")  # the run has taken all five and is sending
        urgent = _ingest(core, "zendesk", "Nobody can log in", Severity.URGENT)
        slack.release(first)
        await eventually(lambda: len(slack.cards(CARDS)) == 6, what="all six cards")
    finally:
        outbox.stop()
        await asyncio.wait_for(running, PATIENCE)

    order = [m.text for m in slack.cards(CARDS)]
    assert refs[0] in order[0]
    assert urgent in order[1]
    assert [next(r for r in refs if r in text) for text in order[2:]] == refs[1:]


async def test_a_flood_from_one_source_is_one_summary_updated_in_place(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    outbox = _outbox(core, slack, clock)
    _batch(core, "appstore", 5)
    await outbox.drain_once()
    [summary] = _summaries(slack)
    assert summary.text.startswith("2 more from appstore in the last hour")

    _batch(core, "appstore", 200)
    high = _ingest(core, "appstore", "Payments fail on iOS 18", Severity.HIGH)
    _ingest(core, "zendesk", "A different source is not held back")
    await outbox.drain_once()

    assert _summaries(slack) == [summary]  # the same message, updated, not a new one
    assert summary.text.startswith("202 more from appstore in the last hour")
    assert "allhands feedback list --source appstore" in summary.text
    assert len(slack.cards(CARDS)) == FLOOD_LIMIT + 3  # + the high card, zendesk's, the summary
    assert any(high in m.text for m in slack.cards(CARDS))
    assert len(slack.calls_to("chat.update")) == 1
    stored = core.desk.search(ListFilter(source="appstore", limit=1000))
    assert len(stored) == 206  # every item is stored, card or not
