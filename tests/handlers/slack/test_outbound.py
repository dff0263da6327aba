"""Acceptance: 429s are waited out, and a post whose response was lost gives no second card.

Also: an urgent card pages its route's user group in the card's thread.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core
from bot.delivery.outbox import OutboxWorker
from bot.domain import Identity, Platform, Severity
from bot.intake import FeedbackDraft
from handlers.slack.people import SlackPeople
from handlers.slack.poster import SlackPoster
from tests.support.builders import API
from tests.support.clock import FakeClock
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.slack_payloads import CARDS


def _outbox(core: Core, slack: FakeSlackApi, clock: FakeClock) -> OutboxWorker:
    client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url, retry_handlers=[])
    poster = SlackPoster(client, SlackPeople(client, core.desk), clock)
    return OutboxWorker(core.db, {Platform.SLACK: poster}, clock)


def _ingest(core: Core, body: str = "Checkout fails") -> str:
    return core.desk.ingest(FeedbackDraft(source="zendesk", body=body), API).item.ref


def _posted_card_ts(core: Core, ref: str) -> Any:
    item = core.desk.get(ref)
    with core.db.read() as uow:
        return [c.extra.get("ts") for c in uow.cards.for_item(item.id)]


async def test_three_429s_delay_the_card_and_it_still_arrives_once(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    outbox = _outbox(core, slack, clock)
    ref = _ingest(core)
    slack.rate_limit("chat.postMessage", times=3, retry_after=1)

    for _ in range(3):
        await outbox.drain_once()
        assert await outbox.drain_once() == 0  # the channel waits for Retry-After
        clock.advance(seconds=1)
    await outbox.drain_once()

    assert len(slack.calls_to("chat.postMessage")) == 4
    assert len(slack.cards(CARDS)) == 1
    assert _posted_card_ts(core, ref) == [slack.cards(CARDS)[0].ts]


async def test_a_500_after_the_message_was_created_gives_no_second_card(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    outbox = _outbox(core, slack, clock)
    ref = _ingest(core)
    slack.fail_after_doing("chat.postMessage")

    await outbox.drain_once()  # Slack posted the card, but answered 500
    assert len(slack.cards(CARDS)) == 1
    clock.advance(seconds=60)
    await outbox.drain_once()

    assert len(slack.cards(CARDS)) == 1
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert slack.calls_to("conversations.history")
    assert _posted_card_ts(core, ref) == [slack.cards(CARDS)[0].ts]


async def test_a_card_posted_before_a_crash_is_found_by_a_fresh_process(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    ref = _ingest(core)
    slack.fail_after_doing("chat.postMessage")
    await _outbox(core, slack, clock).drain_once()
    clock.advance(minutes=2)  # the lease ran out; another process takes over, remembering nothing

    await _outbox(core, slack, clock).drain_once()

    assert len(slack.cards(CARDS)) == 1
    assert _posted_card_ts(core, ref) == [slack.cards(CARDS)[0].ts]


async def test_a_backlog_taken_for_the_first_time_is_posted_without_looking_for_it(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    """Nothing can have posted a message never taken before, however old: looking for it
    would spend conversations.history's much lower rate limit on every card of a backlog."""
    refs = [_ingest(core, f"Checkout fails ({n})") for n in range(3)]
    clock.advance(minutes=10)  # Slack was unreachable for a while

    await _outbox(core, slack, clock).drain_once()

    assert len(slack.cards(CARDS)) == len(refs)
    assert slack.calls_to("conversations.history") == []


async def test_a_lost_thread_note_is_not_posted_twice(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    outbox = _outbox(core, slack, clock)
    slack.add_user("UANA", "Ana Lima", "ana@example.com")
    ref = _ingest(core)
    await outbox.drain_once()
    core.desk.claim(ref, Identity(Platform.SLACK, "T0001:UANA", "Ana Lima", "ana@example.com"))
    slack.fail_after_doing("chat.postMessage")

    await outbox.drain_once()
    clock.advance(seconds=60)
    await outbox.drain_once()

    card = slack.cards(CARDS)[0]
    assert [m.text for m in slack.replies(CARDS, card.ts)] == ["<@UANA> claimed this"]


async def test_an_urgent_card_pages_the_routes_user_group_in_its_thread(
    core: Core, slack: FakeSlackApi, clock: FakeClock
) -> None:
    paging = {"platform": "slack", "channel": CARDS, "mention": "S0ONCALL"}
    core.admin.change("routes", {"default": [paging]}, None)
    draft = FeedbackDraft(source="zendesk", body="<!here> Site is down", severity=Severity.URGENT)
    urgent = core.desk.ingest(draft, API).item.ref
    _ingest(core, "Typo on the pricing page")  # normal severity: no page

    await _outbox(core, slack, clock).drain_once()

    urgent_card, normal_card = slack.cards(CARDS)
    assert urgent in urgent_card.text
    [page] = slack.replies(CARDS, urgent_card.ts)
    assert page.text == f"<!subteam^S0ONCALL> urgent: {urgent} needs someone now"
    assert page.blocks[0]["text"]["text"] == page.text
    assert slack.replies(CARDS, normal_card.ts) == []
