"""Slack delivery of the digest through the real slack_sdk client and the fake Slack Web API:
the channel post, the chart in its thread, and the executive's direct message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.digest.delivery import DigestSender, Target
from bot.domain import Platform
from handlers.slack.digest_poster import SlackDigestPoster
from storage.uow import SqlStore
from tests.support.clock import FakeClock
from tests.support.digest import PLAN, local
from tests.support.fakes.slack_api import FakeSlackApi

DAY = date(2026, 3, 10)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        fake.add_user("UCEO", "Cleo Exec", "ceo@example.com")
        yield fake


async def test_slack_channel_and_executive_dm_arrive(
    database: SqlStore, slack: FakeSlackApi, clock: FakeClock
) -> None:
    clock.current = local(DAY, 9)
    poster = SlackDigestPoster(AsyncWebClient(token="xoxb-test", base_url=slack.api_url))
    sender = DigestSender(database, {Platform.SLACK: poster}, PLAN, clock, owner="test")
    targets = [
        Target(Platform.SLACK, "CDIGEST"),
        Target(Platform.SLACK, "ceo@example.com", person=True),
        Target(Platform.SLACK, "nobody@example.com", person=True),
    ]

    results = await sender.send(DAY, targets)

    assert [r.status for r in results] == ["sent", "sent", "unknown person"]
    opened = slack.calls_to("conversations.open")
    assert [c.args["users"] for c in opened] == ["UCEO"]
    posts = slack.calls_to("chat.postMessage")
    assert [c.args["channel"] for c in posts] == ["CDIGEST", "DUCEO"]
    for post in posts:
        assert len(post.args["blocks"]) <= 50
        assert "Voice of the customer" in post.args["text"]
    completed = slack.calls_to("files.completeUploadExternal")
    assert [c.args["channel_id"] for c in completed] == ["CDIGEST", "DUCEO"]
    assert len(slack.calls_to("files.getUploadURLExternal")) == 2
    again = await sender.send(DAY, targets[:2])
    assert [r.status for r in again] == ["already sent", "already sent"]
    assert len(slack.calls_to("chat.postMessage")) == 2
