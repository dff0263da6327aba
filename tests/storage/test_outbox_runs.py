"""The running outbox sends each channel on its own: a slow channel leaves room for the others,
gives back what it did not try before its lease is half gone, and stops at `stop()`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.customers.story import NO_STORY, CustomerStory
from bot.delivery.outbox import OutboxWorker
from bot.domain import Feedback, Platform
from bot.errors import DeliveryError
from bot.intake import FeedbackDraft
from bot.ports.chat import Destination, PostedCard
from bot.service import Desk
from storage.uow import SqlStore
from tests.conftest import RecordingListener, person
from tests.storage.test_outbox import RecordingPoster
from tests.support import FakeClock


@dataclass
class SlowPoster(RecordingPoster):
    """Every post takes `seconds`, as a paced channel's do."""

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
        await asyncio.sleep(self.seconds)
        return await super().post_card(item, channel, dedup_key, retry=retry)


class BodyRouter:
    """ "busy …" items to C1, the rest to C2."""

    def destinations(self, item: Feedback) -> list[Destination]:
        return [Destination(Platform.SLACK, "C1" if item.body.startswith("busy") else "C2")]


def _desk(database: SqlStore, clock: FakeClock) -> Desk:
    return Desk(database, BodyRouter(), RecordingListener(), clock)


def _ingest(desk: Desk, body: str) -> str:
    return desk.ingest(
        FeedbackDraft(source="email", body=body), person("api", Platform.API)
    ).item.ref


def _busy_backlog(
    database: SqlStore, clock: FakeClock, count: int, seconds: float, **options: Any
) -> tuple[SlowPoster, OutboxWorker]:
    """`count` items for channel C1 and a worker whose posts take `seconds` each."""
    desk, poster = _desk(database, clock), SlowPoster(seconds=seconds)
    for n in range(count):
        _ingest(desk, f"busy {n}")
    return poster, OutboxWorker(database, {Platform.SLACK: poster}, clock, **options)


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
    database: SqlStore, clock: FakeClock
) -> None:
    poster, worker = _busy_backlog(database, clock, 8, 0.1, lease=timedelta(seconds=0.5))

    asyncio.run(worker.drain_once())

    assert 1 <= len(poster.calls) < 8
    # the rest is due at once, and being taken and given back did not count as an attempt
    assert _due_attempts(database, clock) == [1] * (8 - len(poster.calls))


def test_stop_lets_the_send_in_hand_finish_and_gives_back_the_rest(
    database: SqlStore, clock: FakeClock
) -> None:
    poster, worker = _busy_backlog(database, clock, 5, 0.2)

    async def run_then_stop() -> None:
        running = asyncio.create_task(worker.run())
        while not poster.calls:
            await asyncio.sleep(0.01)
        worker.stop()
        await asyncio.wait_for(running, 5)

    asyncio.run(run_then_stop())

    assert 1 <= len(poster.calls) <= 2
    assert _due_attempts(database, clock) == [1] * (5 - len(poster.calls))


def test_a_failure_wears_out_only_the_message_tried_not_the_ones_behind_it(
    database: SqlStore, clock: FakeClock
) -> None:
    poster, worker = _busy_backlog(database, clock, 3, 0)
    poster.failures.append(DeliveryError("server_error", retry_after=5))

    asyncio.run(worker.drain_once())
    clock.advance(seconds=5)

    assert _due_attempts(database, clock) == [2, 1, 1]
