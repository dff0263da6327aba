"""The running outbox sends each channel on its own: a slow channel leaves room for the others,
gives back what it did not try before its lease is half gone, and stops at `stop()`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from bot.customers.story import NO_STORY, CustomerStory
from bot.delivery import outbox
from bot.delivery.outbox import OutboxWorker
from bot.domain import Feedback, Platform
from bot.errors import DeliveryError
from bot.intake import FeedbackDraft
from bot.ports.chat import Destination, Placement, PostedCard
from bot.service import Desk
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.clock import FakeClock, VirtualTime
from tests.support.doubles import RecordingListener, RecordingPoster
from tests.support.eventually import PATIENCE, eventually


@dataclass
class SlowPoster(RecordingPoster):
    """Every post takes `seconds` of virtual time, as a paced channel's do."""

    time: VirtualTime = field(default_factory=VirtualTime)
    seconds: float = 0.1

    async def post_card(
        self,
        item: Feedback,
        channel: str,
        dedup_key: str,
        *,
        retry: bool = False,
        story: CustomerStory = NO_STORY,
    ) -> PostedCard:
        self.time.advance(self.seconds)
        return await super().post_card(item, channel, dedup_key, retry=retry)


@dataclass
class GatedPoster(RecordingPoster):
    """Every post starts, then waits for `gate` before it is made."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    started: int = 0

    async def post_card(
        self,
        item: Feedback,
        channel: str,
        dedup_key: str,
        *,
        retry: bool = False,
        story: CustomerStory = NO_STORY,
    ) -> PostedCard:
        self.started += 1
        await self.gate.wait()
        return await super().post_card(item, channel, dedup_key, retry=retry)


class BodyRouter:
    """ "busy …" items to C1, the rest to C2."""

    def place(self, item: Feedback) -> Placement:
        return Placement(
            [Destination(Platform.SLACK, "C1" if item.body.startswith("busy") else "C2")]
        )


def _desk(database: SqlStore, clock: FakeClock) -> Desk:
    return Desk(database, BodyRouter(), RecordingListener(), clock)


def _ingest(desk: Desk, body: str) -> str:
    return desk.ingest(
        FeedbackDraft(source="email", body=body), person("api", Platform.API)
    ).item.ref


def _busy_backlog(
    database: SqlStore, clock: FakeClock, count: int, poster: RecordingPoster, **options: Any
) -> OutboxWorker:
    """`count` items for channel C1 and a worker posting them with `poster`."""
    desk = _desk(database, clock)
    for n in range(count):
        _ingest(desk, f"busy {n}")
    return OutboxWorker(database, {Platform.SLACK: poster}, clock, **options)


def _due_attempts(database: SqlStore, clock: FakeClock) -> list[int]:
    """Take whatever is due now; the attempts each message has been counted."""
    with database.write() as uow:
        taken = uow.outbox.lease_due([Platform.SLACK], clock.now(), timedelta(seconds=60), 100)
        uow.commit()
    return [message.attempts for message in taken]


def test_a_channel_still_sending_leaves_room_for_the_others(
    database: SqlStore, clock: FakeClock
) -> None:
    desk = _desk(database, clock)
    for n in range(3):
        _ingest(desk, f"busy {n}")
    quiet = _ingest(desk, "quiet")
    with database.write() as uow:
        taken = uow.outbox.lease_due(
            [Platform.SLACK], clock.now(), timedelta(seconds=60), 2, skip=[(Platform.SLACK, "C1")]
        )
        uow.commit()
    assert [(m.channel, m.feedback_id) for m in taken] == [("C2", int(quiet[3:]))]


def test_a_run_gives_back_what_it_did_not_try_before_its_lease_is_half_gone(
    database: SqlStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    poster = SlowPoster(time=VirtualTime.installed(monkeypatch, outbox), seconds=0.1)
    worker = _busy_backlog(database, clock, 8, poster, lease=timedelta(seconds=0.5))

    asyncio.run(worker.drain_once())

    assert len(poster.calls) == 3  # 0.1 s each: the fourth would start past a quarter second
    # the rest is due at once, and being taken and given back did not count as an attempt
    assert _due_attempts(database, clock) == [1] * (8 - len(poster.calls))


def test_stop_lets_the_send_in_hand_finish_and_gives_back_the_rest(
    database: SqlStore, clock: FakeClock
) -> None:
    async def run_then_stop() -> GatedPoster:
        poster = GatedPoster()
        worker = _busy_backlog(database, clock, 5, poster)
        running = asyncio.create_task(worker.run())
        await eventually(lambda: poster.started == 1)
        worker.stop()  # while the first post is in hand
        poster.gate.set()
        await asyncio.wait_for(running, PATIENCE)
        return poster

    poster = asyncio.run(run_then_stop())

    assert len(poster.calls) == 1
    assert _due_attempts(database, clock) == [1] * (5 - len(poster.calls))


def test_a_failure_wears_out_only_the_message_tried_not_the_ones_behind_it(
    database: SqlStore, clock: FakeClock
) -> None:
    poster = RecordingPoster()
    worker = _busy_backlog(database, clock, 3, poster)
    poster.failures.append(DeliveryError("server_error", retry_after=5))

    asyncio.run(worker.drain_once())
    clock.advance(seconds=5)

    assert _due_attempts(database, clock) == [2, 1, 1]
