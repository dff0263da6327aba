"""Slack misbehaving under the outbox: 429 storms, 500s and timeouts still give every card once.

The real outbox and Slack poster talk to the fake Slack Web API; the test's clock drives the
outbox's retries, and the fake stamps each call with the same clock, so "waited for
Retry-After" is checked on the calls Slack saw, without sleeping.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core
from bot.delivery.outbox import OutboxWorker
from bot.delivery.pacing import Pacer
from bot.domain import Identity, Platform
from bot.intake import FeedbackDraft
from handlers.slack.people import SlackPeople
from handlers.slack.poster import SlackPoster
from tests.support.builders import API
from tests.support.clock import FakeClock
from tests.support.fakes.slack_api import Call, FakeSlackApi, Fault
from tests.support.outbox import pending

CHANNELS = ("C0ALPHA", "C0BRAVO", "C0CHARLIE")
ITEMS_PER_CHANNEL = 8
ANA = Identity(Platform.SLACK, "T0001:UANA", "Ana Lima", "ana@example.com")
CLAIMED_NOTE = "<@UANA> claimed this"


@pytest.fixture
def core_settings() -> dict[str, Any]:
    return {"SLACK_BOT_TOKEN": "xoxb-test"}


@pytest.fixture(autouse=True)
def one_channel_per_source(core: Core) -> None:
    """One routing rule per channel (by source), so items spread over CHANNELS."""
    rules = [
        {
            "name": channel,
            "sources": [channel],
            "destinations": [{"platform": "slack", "channel": channel}],
        }
        for channel in CHANNELS
    ]
    core.admin.change("routes", {"rules": rules}, None)


def outbox(core: Core, slack: FakeSlackApi, clock: FakeClock, timeout: int = 30) -> OutboxWorker:
    """The server's outbox and poster, with a client that retries nothing (as in production).

    Unpaced: the 429s here are the fake's doing, and the test's clock is not the pacer's.
    """
    client = AsyncWebClient(
        token="xoxb-test", base_url=slack.api_url, retry_handlers=[], timeout=timeout
    )
    poster = SlackPoster(client, SlackPeople(client, core.desk), clock, Pacer(1_000))
    return OutboxWorker(core.db, {Platform.SLACK: poster}, clock)


def ingest(core: Core, channel: str, n: int) -> str:
    draft = FeedbackDraft(source=channel, body=f"Report {n} for {channel}")
    return core.desk.ingest(draft, API).item.ref


async def drain_until_empty(
    core: Core, worker: OutboxWorker, clock: FakeClock, step: float = 0.5, rounds: int = 400
) -> None:
    """Send rounds, moving the clock `step` seconds between them, until nothing is pending."""
    for _ in range(rounds):
        await worker.drain_once()
        if pending(core.db) == 0:
            return
        clock.advance(seconds=step)
    raise AssertionError(f"{pending(core.db)} outbox message(s) still pending")


def channel_of(call: Call) -> str | None:
    channel = call.args.get("channel")
    return str(channel) if channel else None


def assert_each_card_once_in_order_and_claimed(
    core: Core, slack: FakeSlackApi, refs: dict[str, list[str]]
) -> None:
    with core.db.read() as uow:
        assert uow.outbox.failed(Platform.SLACK) == []  # nothing given up on
    for channel, expected in refs.items():
        cards = slack.cards(channel)
        shown = [next(ref for ref in expected if f"{ref} ·" in card.text) for card in cards]
        assert shown == expected, f"{channel}: cards {shown}"  # once each, in ingest order
        for card in cards:
            assert "(claimed)" in card.text
            assert [m.text for m in slack.replies(channel, card.ts)] == [CLAIMED_NOTE]
    with core.db.read() as uow:
        recorded = {
            copy.extra["ts"]
            for ref_list in refs.values()
            for ref in ref_list
            for copy in uow.cards.for_item(core.desk.get(ref).id)
        }
    assert recorded == {card.ts for card in slack.cards()}


async def storm_until_empty(
    core: Core, worker: OutboxWorker, slack: FakeSlackApi, clock: FakeClock, seed: int
) -> None:
    """Rounds half a second apart; gusts of 429s (1, 3 or 7 s Retry-After) on posts and updates."""
    gusts = random.Random(seed)
    for round_ in range(400):
        if round_ % 3 == 0 and round_ < 60:
            for method in ("chat.postMessage", "chat.update"):
                retry_after = gusts.choice([1, 3, 7])
                slack.rate_limit(method, times=gusts.randint(1, 3), retry_after=retry_after)
        await worker.drain_once()
        if pending(core.db) == 0:
            return
        clock.advance(seconds=0.5)
    raise AssertionError(f"{pending(core.db)} outbox message(s) still pending")


async def test_a_429_storm_delivers_every_card_once_in_order_waiting_out_each_retry_after(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    """Calling a channel again before its Retry-After only earns more 429s."""
    worker = outbox(core, slack, clock)
    refs: dict[str, list[str]] = {channel: [] for channel in CHANNELS}
    for n in range(ITEMS_PER_CHANNEL):
        for channel in CHANNELS:
            refs[channel].append(ingest(core, channel, n))
    await storm_until_empty(core, worker, slack, clock, seed=1)
    for channel in CHANNELS:
        for ref in refs[channel]:
            core.desk.claim(ref, ANA)  # an update and a thread note behind each card
    await storm_until_empty(core, worker, slack, clock, seed=2)

    assert_each_card_once_in_order_and_claimed(core, slack, refs)
    position = {id(call): index for index, call in enumerate(slack.calls)}
    for refused, retry_after in slack.refusals:
        channel = channel_of(refused)
        assert retry_after is not None
        early = [
            call
            for call in slack.calls[position[id(refused)] + 1 :]
            if channel_of(call) == channel and call.at < refused.at + retry_after
        ]
        assert early == [], (
            f"{channel} called before the Retry-After of {refused.method} at {refused.at}"
        )
    assert {call.method for call, _ in slack.refusals} == {"chat.postMessage", "chat.update"}
    assert len({channel_of(call) for call, _ in slack.refusals}) == len(CHANNELS)
    # A channel waiting out its Retry-After holds up no other channel.
    call, retry_after = max(slack.refusals, key=lambda refusal: refusal[1] or 0)
    assert retry_after is not None
    assert any(
        call.at <= other.at < call.at + retry_after and channel_of(other) != channel_of(call)
        for other in slack.calls
    )


async def test_500s_that_did_nothing_are_retried_until_the_card_arrives_once(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    """Slack's own trouble passes: a 5xx is retried with backoff, never given up on."""
    worker = outbox(core, slack, clock)
    ref = ingest(core, CHANNELS[0], 1)
    slack.faults.append(Fault("chat.postMessage", 500, times=3))
    slack.faults.append(Fault("conversations.history", 500, times=1))  # the check for a lost post
    await drain_until_empty(core, worker, clock)

    core.desk.claim(ref, ANA)
    slack.faults.append(Fault("chat.update", 500, times=2))
    slack.faults.append(Fault("chat.postMessage", 503, times=2))
    await drain_until_empty(core, worker, clock)

    assert_each_card_once_in_order_and_claimed(core, slack, {CHANNELS[0]: [ref]})
    assert len(slack.refusals) == 8  # every fault was met


async def test_answers_slower_than_the_client_timeout_give_no_second_card_or_note(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    """Slack did the work but answered after the client gave up: the retry must find it."""
    worker = outbox(core, slack, clock, timeout=1)
    ref = ingest(core, CHANNELS[0], 1)
    slack.hold("chat.postMessage", times=1, after_effect=True)  # done; answered only too late
    await drain_until_empty(core, worker, clock)

    core.desk.claim(ref, ANA)
    slack.hold("chat.update", times=1, after_effect=True)
    slack.hold("chat.postMessage", times=1, after_effect=True)
    await drain_until_empty(core, worker, clock)

    assert_each_card_once_in_order_and_claimed(core, slack, {CHANNELS[0]: [ref]})
    performed = [call.method for call in slack.performed]
    assert performed.count("chat.postMessage") == 2  # the card and the note, each made once
    assert performed.count("chat.update") >= 1  # an update may be repeated: it shows one state
