"""Spike alerts in the leads' channels on Slack and Teams: one message per spike, updated in
place as it grows, the customer's words masked; replicas racing open one alert."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from bot.core import Core
from bot.delivery.outbox import OutboxWorker
from bot.domain import Platform
from bot.intake import FeedbackDraft
from bot.ports.spikes import AlertCopy, SpikeAlert
from bot.signal.alerts import SpikeAlerts, SpikeWatch, leads_channels
from handlers.chat import ChatAdapter
from tests.support.builders import API
from tests.support.clock import FakeClock
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.outbox import pending
from tests.support.servers import both_adapters, both_platforms
from tests.support.teams import CHANNEL, installed_in_team

LEADS = "C0LEADS"
SOURCES = ("email", "zendesk", "intercom", "api", "chat", "typeform")  # none reaches ten alone


@pytest.fixture
def core_settings(slack: FakeSlackApi, connector: FakeConnector) -> dict[str, Any]:
    """Both platforms, alerts in the leads' channels and no card channel (cards are elsewhere)."""
    return both_platforms(slack, connector) | {
        "ALLHANDS_SLACK_CHANNEL": "",
        "ALLHANDS_TEAMS_CHANNEL": "",
        "ALLHANDS_SPIKE_SLACK_CHANNELS": LEADS,
        "ALLHANDS_SPIKE_TEAMS_CHANNELS": CHANNEL,
    }


@pytest.fixture
def adapters(core: Core, connector: FakeConnector) -> list[ChatAdapter]:
    return both_adapters(core, connector)


@pytest.fixture
def worker(core: Core, adapters: list[ChatAdapter], connector: FakeConnector) -> OutboxWorker:
    """The outbox with both platforms' posters, driven by hand; the app is in the team."""
    installed_in_team(core, connector)
    posters = {a.platform: a.poster for a in adapters}
    alerts = SpikeAlerts(core.db, posters, core.desk.privacy)  # type: ignore[arg-type]
    return OutboxWorker(core.db, posters, core.clock, alerts=alerts)


def watch(core: Core) -> SpikeWatch:
    return SpikeWatch(
        core.db, lambda: core.digest.plan().zone, leads_channels(core.settings, core.digest)
    )


def ingest(core: Core, n: int, tag: str = "cards", **fields: Any) -> None:
    source = SOURCES[n % len(SOURCES)]
    body = fields.pop("body", f"My card was declined at checkout ({n})")
    core.desk.ingest(FeedbackDraft(source=source, body=body, tags=[tag], **fields), API)


def quiet_month(core: Core, clock: FakeClock) -> None:
    """One item a week on the theme over the last four weeks."""
    for week in range(1, 5):
        ingest(core, week, received_at=clock.now() - timedelta(days=7 * week - 1))


def slack_alerts(slack: FakeSlackApi) -> tuple[list[Any], list[Any]]:
    posts = [c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == LEADS]
    updates = [c for c in slack.calls_to("chat.update") if c.args.get("channel") == LEADS]
    return posts, updates


def teams_alerts(connector: FakeConnector) -> tuple[list[Any], list[Any]]:
    def alerts(method: str) -> list[Any]:
        return [
            c
            for c in connector.sent(method)
            if "Spike" in c.body["attachments"][0]["content"]["fallbackText"]
        ]

    return alerts("POST"), alerts("PUT")


async def test_thirty_items_in_an_hour_after_a_quiet_month_make_one_alert_updated_in_place(
    core: Core,
    worker: OutboxWorker,
    slack: FakeSlackApi,
    connector: FakeConnector,
    clock: FakeClock,
) -> None:
    quiet_month(core, clock)
    spikes = watch(core)
    for n in range(30):
        clock.advance(minutes=2)
        last = n == 29
        body = "Declined again, write to ana@example.com" if last else None
        ingest(core, n, **({"body": body} if body else {}))
        spikes.run(clock.now())
        await worker.drain_once()

    slack_posts, slack_updates = slack_alerts(slack)
    teams_posts, teams_updates = teams_alerts(connector)
    assert len(slack_posts) == 1  # one alert each, not 30
    assert len(teams_posts) == 1
    assert "10 items tagged #cards today" in slack_posts[0].args["text"]
    assert len(slack_updates) == len(teams_updates) == 20  # the 11th … 30th item
    posted = {c.platform: c for c in alert_copies(core)}
    assert {c.args["ts"] for c in slack_updates} == {posted[Platform.SLACK].extra["ts"]}
    assert {c.path.rsplit("/", 1)[-1] for c in teams_updates} == {posted[Platform.TEAMS].message_id}
    final_slack = str(slack_updates[-1].args["blocks"])
    final_teams = str(teams_updates[-1].body)
    for final in (final_slack, final_teams):
        assert "30 items tagged" in final
        assert "cards today" in final  # Teams escapes the #
        assert "ana@example.com" not in final  # the newest quote is masked
        assert "FB-34" in final
    assert pending(core.db) == 0


async def test_a_sensitive_newest_item_is_counted_but_never_quoted(
    core: Core, worker: OutboxWorker, slack: FakeSlackApi, clock: FakeClock
) -> None:
    quiet_month(core, clock)
    for n in range(9):
        ingest(core, n)
    words = "Our lawyer writes about the breach"
    draft = FeedbackDraft(source="email", body=words, tags=["cards"])
    sensitive = core.desk.ingest(draft, API).item
    with core.db.write() as uow:
        uow.feedback.mark_sensitive(sensitive.id, "Legal")
        uow.commit()
    watch(core).run(clock.now())
    await worker.drain_once()

    (post,), _ = slack_alerts(slack)
    assert "10 items tagged #cards today" in post.args["text"]
    assert "lawyer" not in str(post.args)
    assert sensitive.ref not in str(post.args)


async def test_a_rate_limited_alert_waits_for_retry_after_and_posts_once(
    core: Core, worker: OutboxWorker, slack: FakeSlackApi, clock: FakeClock
) -> None:
    for n in range(12):
        ingest(core, n)
    watch(core).run(clock.now())
    slack.rate_limit("chat.postMessage", times=1, retry_after=7)

    await worker.drain_once()
    clock.advance(seconds=6)
    await worker.drain_once()  # still inside Retry-After
    assert slack.cards(LEADS) == []
    clock.advance(seconds=1)
    await worker.drain_once()

    assert len(slack.cards(LEADS)) == 1
    assert pending(core.db) == 0


async def test_replicas_racing_open_one_alert(
    core: Core, worker: OutboxWorker, slack: FakeSlackApi, clock: FakeClock
) -> None:
    for n in range(12):
        ingest(core, n)
    replicas = [watch(core), watch(core)]

    opened = await asyncio.gather(*(asyncio.to_thread(r.run, clock.now()) for r in replicas))
    again = await asyncio.gather(*(asyncio.to_thread(r.run, clock.now()) for r in replicas))

    assert sorted(opened) == [0, 1]
    assert again == [0, 0]
    assert pending(core.db) == 2  # one post per leads' channel
    await worker.drain_once()
    assert len(slack_alerts(slack)[0]) == 1
    assert {c.platform for c in alert_copies(core)} == {Platform.SLACK, Platform.TEAMS}


def alert_copies(core: Core) -> list[AlertCopy]:
    with core.db.read() as uow:
        alert = uow.spikes.alerts_on(core.clock.now().date())[0]
        return uow.spikes.copies(alert.id)


def test_the_day_s_alert_is_opened_by_one_process_only(core: Core, clock: FakeClock) -> None:
    alert = SpikeAlert(0, "tag", "cards", clock.now().date(), 10, 0.0, 10, None)
    with core.db.write() as uow:
        first = uow.spikes.open_alert(alert, clock.now())
        second = uow.spikes.open_alert(replace(alert, count=11), clock.now())
        uow.commit()

    assert first is not None
    assert second is None
