"""The outbox: persisted first, sent in order per channel, waits on 429, never lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.admin.routing import StaticRouter
from bot.delivery.outbox import OutboxWorker
from bot.domain import Feedback, Platform, Severity
from bot.errors import DeliveryError
from bot.intake import FeedbackDraft
from bot.ports.chat import Destination, Placement
from bot.service import Desk
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.clock import FakeClock
from tests.support.doubles import RecordingListener, RecordingPoster

LEASE = timedelta(seconds=60)  # the worker's default lease


class PagingRouter:
    """Everything to one Slack channel whose route mentions the on-call user group."""

    def place(self, item: Feedback) -> Placement:
        return Placement([Destination(Platform.SLACK, "C1", "SONCALL")])


def _setup(
    database: SqlStore, clock: FakeClock, router: StaticRouter | PagingRouter | None = None
) -> tuple[Desk, RecordingPoster, OutboxWorker]:
    desk = Desk(database, router or StaticRouter(slack_channel="C1"), RecordingListener(), clock)
    poster = RecordingPoster()
    return desk, poster, OutboxWorker(database, {Platform.SLACK: poster}, clock)


def _ingest(desk: Desk, n: int = 1, severity: Severity = Severity.NORMAL) -> str:
    draft = FeedbackDraft(
        source="email", body=f"Complaint {n}", external_id=f"e{n}", severity=severity
    )
    return desk.ingest(draft, person("api", Platform.API)).item.ref


def _drain(worker: OutboxWorker) -> int:
    return asyncio.run(worker.drain_once())


def test_card_is_posted_then_updated_in_place_with_a_note(
    database: SqlStore, clock: FakeClock
) -> None:
    desk, poster, worker = _setup(database, clock)
    ref = _ingest(desk)
    desk.claim(ref, person("ana"))
    _drain(worker)
    # one render shows the latest state; the note says what happened
    assert poster.calls == [("post", ref, "claimed"), ("note", ref, "claimed")]
    desk.close(ref, person("ana"), "done")
    _drain(worker)
    assert poster.calls[2:] == [("update", ref, "closed"), ("note", ref, "closed")]
    with database.read() as uow:
        assert uow.outbox.pending() == 0
        assert uow.cards.for_item(desk.get(ref).id)[0].message_id == "C1:1"


def test_rate_limited_channel_waits_and_keeps_its_order(
    database: SqlStore, clock: FakeClock
) -> None:
    desk, poster, worker = _setup(database, clock)
    first, second = _ingest(desk, 1), _ingest(desk, 2)
    poster.failures.append(DeliveryError("ratelimited", retry_after=30))
    _drain(worker)
    assert poster.calls == []
    clock.advance(seconds=10)
    assert _drain(worker) == 0  # still inside Retry-After
    clock.advance(seconds=21)
    _drain(worker)
    assert poster.calls == [("post", first, "open"), ("post", second, "open")]


def test_permanent_failure_is_given_up_and_the_channel_goes_on(
    database: SqlStore, clock: FakeClock
) -> None:
    desk, poster, worker = _setup(database, clock)
    _ingest(desk, 1)
    second = _ingest(desk, 2)
    poster.failures.append(DeliveryError("channel_not_found", retry_after=None))
    _drain(worker)
    assert poster.calls == [("post", second, "open")]
    with database.read() as uow:
        assert uow.outbox.pending() == 0


def test_a_crash_after_sending_is_retried_with_the_same_dedup_key(
    database: SqlStore, clock: FakeClock
) -> None:
    desk, poster, worker = _setup(database, clock)
    _ingest(desk)
    with database.write() as uow:  # a replica took the message, then died before recording it
        taken = uow.outbox.lease_due([Platform.SLACK], clock.now(), LEASE, 10)
        uow.commit()
    assert len(taken) == 1
    assert _drain(worker) == 0  # leased: nobody else sends it meanwhile
    clock.advance(seconds=61)
    _drain(worker)
    assert [c[0] for c in poster.calls] == ["post"]
    with database.read() as uow:
        copy = uow.cards.for_item(taken[0].feedback_id or 0)[0]
    assert copy.extra == {"key": f"allhands-card-{copy.id}"}


def test_two_workers_never_send_the_same_message(database: SqlStore, clock: FakeClock) -> None:
    desk, poster, worker = _setup(database, clock)
    other = OutboxWorker(database, {Platform.SLACK: poster}, clock)
    refs = [_ingest(desk, n) for n in range(20)]

    async def both() -> None:
        await asyncio.gather(worker.drain_once(), other.drain_once())

    asyncio.run(both())
    asyncio.run(both())
    assert sorted(c[1] for c in poster.calls) == sorted(refs)


def test_an_urgent_item_pages_its_routes_mention_once_the_card_is_up(
    database: SqlStore, clock: FakeClock
) -> None:
    desk, poster, worker = _setup(database, clock, PagingRouter())
    urgent = _ingest(desk, 1, Severity.URGENT)
    normal = _ingest(desk, 2)
    poster.failures.append(DeliveryError("ratelimited", retry_after=30))
    _drain(worker)
    assert poster.calls == []  # the page waits behind its card
    clock.advance(seconds=31)
    _drain(worker)
    assert poster.calls == [
        ("post", urgent, "open"),
        ("mention", urgent, "SONCALL"),
        ("post", normal, "open"),
    ]


def test_an_urgent_item_claimed_before_the_send_pages_nobody(
    database: SqlStore, clock: FakeClock
) -> None:
    desk, poster, worker = _setup(database, clock, PagingRouter())
    ref = _ingest(desk, 1, Severity.URGENT)
    desk.claim(ref, person("ana"))
    _drain(worker)
    assert poster.calls == [("post", ref, "claimed"), ("note", ref, "claimed")]
    with database.read() as uow:
        assert uow.outbox.pending() == 0
