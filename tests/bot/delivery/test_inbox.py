"""The inbox: a delivery recorded before its ack is handled once, retried on failure, never lost."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event

from bot.delivery import inbox as inbox_module
from bot.delivery.inbox import KEEP_DONE, LEASE, MAX_ATTEMPTS, STEP_BACK, Inbox, InboxWorker
from bot.domain import Platform
from storage.uow import SqlStore
from tests.support.clock import FakeClock, VirtualTime
from tests.support.doubles import RecordingHandler, WatchedStore
from tests.support.eventually import PATIENCE, eventually

NEVER = 3600.0  # an idle poll no test waits for: only a wake-up gets a worker going


def _worker(
    inbox: Inbox, database: SqlStore, clock: FakeClock, handler: RecordingHandler
) -> InboxWorker:
    return InboxWorker(inbox, database, {Platform.SLACK: handler}, clock)


async def test_a_delivery_recorded_twice_is_handled_once(
    database: SqlStore, clock: FakeClock
) -> None:
    inbox, handler = Inbox(database, clock), RecordingHandler()
    await asyncio.gather(
        inbox.record(Platform.SLACK, "event:Ev1", {"n": 1}),
        inbox.record(Platform.SLACK, "event:Ev1", {"n": 1}),
        inbox.record(Platform.SLACK, "event:Ev2", {"n": 2}),
    )
    assert inbox.pending() == 2

    await _worker(inbox, database, clock, handler).handle_due()
    await inbox.record(Platform.SLACK, "event:Ev1", {"n": 1})  # a retry after it was handled

    assert handler.seen == [{"n": 1}, {"n": 2}]  # oldest first
    assert inbox.pending() == 0
    assert await _worker(inbox, database, clock, handler).handle_due() == 0


def _record_numbered(database: SqlStore, clock: FakeClock, count: int) -> None:
    """`count` Slack deliveries in one batch, payload {"n": 0} onwards."""
    batch = [(Platform.SLACK, f"event:Ev{n}", {"n": n}) for n in range(count)]
    with database.write() as uow:
        uow.inbox.record(batch, clock.now())
        uow.commit()


def test_a_batch_beyond_one_statements_parameters_is_recorded_whole(
    database: SqlStore, clock: FakeClock
) -> None:
    """Engines cap the values one statement binds (PostgreSQL at 65,535, SQLite builds at 999
    or more): a batch is split to fit, and every delivery in it lands, in order."""
    _record_numbered(database, clock, 11_000)
    with database.write() as uow:
        taken = uow.inbox.take(clock.now(), clock.now() + LEASE, 20_000, [Platform.SLACK])
    assert [delivery.payload["n"] for delivery in taken] == list(range(11_000))


def test_taking_a_batch_reads_the_first_undone_rows_off_an_index(
    database: SqlStore, clock: FakeClock
) -> None:
    """A batch costs the same however long the backlog and however many handled ids are kept:
    the engine reads the undone rows in id order from an index and sorts nothing (sorting the
    whole backlog for every batch made draining it quadratic)."""
    _record_numbered(database, clock, 4_000)
    with database.write() as uow:
        handled = uow.inbox.take(clock.now(), clock.now() + LEASE, 2_000, [Platform.SLACK])
        uow.inbox.finish([delivery.id for delivery in handled], clock.now())
        uow.commit()
    postgres = database.engine.dialect.name == "postgresql"
    if postgres:  # as autovacuum would have by then; SQLite plans without statistics
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE inbox")
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", seen)
    with database.write() as uow:
        taken = uow.inbox.take(clock.now(), clock.now() + LEASE, 16, [Platform.SLACK])
    event.remove(database.engine, "before_cursor_execute", seen)
    assert [delivery.payload["n"] for delivery in taken] == list(range(2_000, 2_016))

    [(statement, parameters)] = [s for s in statements if s[0].lstrip().startswith("SELECT")]
    explain = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
    with database.engine.connect() as connection:
        rows = connection.exec_driver_sql(explain + statement, parameters).all()
    plan = "\n".join(str(row[-1]) for row in rows)
    assert "ix_inbox_undone_in_order" in plan, plan
    assert "Sort" not in plan, plan  # PostgreSQL's
    assert "TEMP B-TREE" not in plan, plan  # SQLite's


async def test_a_failed_delivery_is_tried_again_later_then_given_up(
    database: SqlStore, clock: FakeClock
) -> None:
    inbox, handler = Inbox(database, clock), RecordingHandler(failures=MAX_ATTEMPTS)
    worker = _worker(inbox, database, clock, handler)
    await inbox.record(Platform.SLACK, "event:Ev1", {"n": 1})

    await worker.handle_due()
    assert (len(handler.seen), inbox.pending()) == (1, 1)
    assert await worker.handle_due() == 0  # not due yet: it waits its backoff
    for attempt in range(2, MAX_ATTEMPTS + 1):
        clock.advance(seconds=2**attempt)
        assert await worker.handle_due() == 1
    assert len(handler.seen) == MAX_ATTEMPTS
    assert inbox.pending() == 0  # logged and given up, not retried forever


async def test_a_delivery_taken_by_a_worker_that_died_is_handled_once_its_lease_ends(
    database: SqlStore, clock: FakeClock
) -> None:
    inbox, handler = Inbox(database, clock), RecordingHandler()
    await inbox.record(Platform.SLACK, "event:Ev1", {"n": 1})
    with database.write() as uow:  # a worker takes it, then its process dies
        assert len(uow.inbox.take(clock.now(), clock.now() + LEASE, 10, [Platform.SLACK])) == 1
        uow.commit()
    worker = _worker(inbox, database, clock, handler)

    assert await worker.handle_due() == 0
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await worker.handle_due() == 1
    assert handler.seen == [{"n": 1}]


async def test_handled_ids_are_kept_a_day_then_forgotten(
    database: SqlStore, clock: FakeClock
) -> None:
    inbox = Inbox(database, clock)
    await inbox.record(Platform.SLACK, "event:Ev1", {"n": 1})
    await _worker(inbox, database, clock, RecordingHandler()).handle_due()
    await inbox.record(Platform.SLACK, "event:Ev2", {"n": 2})  # still waiting

    with database.write() as uow:
        assert uow.inbox.forget(clock.now() - KEEP_DONE) == 0
        assert uow.inbox.forget(clock.now() + KEEP_DONE) == 1  # the handled one only
        uow.commit()
    assert inbox.pending() == 1


async def test_the_worker_forgets_ids_older_than_a_day_in_both_tables(
    database: SqlStore, clock: FakeClock
) -> None:
    inbox = Inbox(database, clock)
    worker = _worker(inbox, database, clock, RecordingHandler())
    await inbox.record(Platform.SLACK, "event:Old", {"n": 1})
    await worker.handle_due()
    with database.write() as uow:
        assert uow.jobs.first_delivery(Platform.TEAMS, "message:old", clock.now())
        uow.commit()
    clock.advance(days=1, minutes=1)
    await inbox.record(Platform.SLACK, "event:New", {"n": 2})
    await worker.handle_due()
    with database.write() as uow:
        assert uow.jobs.first_delivery(Platform.TEAMS, "message:new", clock.now())
        uow.commit()

    worker.forget_old()

    with database.write() as uow:
        assert uow.inbox.forget(clock.now() + KEEP_DONE) == 1  # only the new handled row was left
        assert uow.jobs.first_delivery(Platform.TEAMS, "message:old", clock.now())  # forgotten
        assert not uow.jobs.first_delivery(Platform.TEAMS, "message:new", clock.now())  # kept
        uow.commit()


async def test_workers_sharing_the_inbox_handle_each_delivery_once(
    database: SqlStore, clock: FakeClock
) -> None:
    inbox, handler = Inbox(database, clock), RecordingHandler()
    for n in range(40):
        await inbox.record(Platform.SLACK, f"event:Ev{n}", {"n": n})
    pool = [_worker(inbox, database, clock, handler) for _ in range(2)]

    while sum(await asyncio.gather(*(worker.handle_due() for worker in pool))):
        pass

    assert sorted(p["n"] for p in handler.seen) == list(range(40))


async def test_a_running_worker_is_woken_by_a_record_in_its_process(
    database: SqlStore, clock: FakeClock
) -> None:
    inbox, handler, watched = Inbox(database, clock), RecordingHandler(), WatchedStore(database)
    worker = InboxWorker(inbox, watched, {Platform.SLACK: handler}, clock, idle_poll=NEVER)
    running = asyncio.create_task(worker.run())
    await eventually(lambda: watched.looks > 0)  # it looked, found nothing, and went to sleep

    await inbox.record(Platform.SLACK, "event:Ev1", {"n": 1})
    await eventually(lambda: handler.seen)  # long before its next poll
    worker.stop()
    await asyncio.wait_for(running, PATIENCE)
    assert handler.seen == [{"n": 1}]


class SlowHandler:
    """Takes `seconds` (of virtual time) over each payload and notes when it started on it."""

    def __init__(self, seconds: float, time: VirtualTime) -> None:
        self.seconds = seconds
        self.time = time
        self.started: list[float] = []

    async def __call__(self, payload: dict[str, Any]) -> None:
        self.started.append(self.time.monotonic())
        self.time.advance(self.seconds)


async def _gap_between_batches(
    database: SqlStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, *, crowded: bool
) -> float:
    """Seconds (virtual) from one batch's start to the next's, one delivery a batch."""
    handler = SlowHandler(0.2, VirtualTime.installed(monkeypatch, inbox_module))
    inbox = Inbox(database, clock)
    for n in range(2):
        await inbox.record(Platform.SLACK, f"event:Ev{n}", {"n": n})
    worker = InboxWorker(
        inbox, database, {Platform.SLACK: handler}, clock, at_once=1, crowded=lambda: crowded
    )
    running = asyncio.create_task(worker.run())
    await eventually(lambda: len(handler.started) == 2)
    worker.stop()
    await asyncio.wait_for(running, PATIENCE)
    return handler.started[1] - handler.started[0]


async def test_a_worker_steps_back_while_answers_crowd(
    database: SqlStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch is followed by a pause of STEP_BACK times the batch (0.2 s handling here):
    the answers beside the worker get the process while they crowd."""
    gap = await _gap_between_batches(database, clock, monkeypatch, crowded=True)
    assert gap >= 0.2 * (1 + STEP_BACK)


async def test_a_worker_goes_on_at_once_when_answers_do_not_crowd(
    database: SqlStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    gap = await _gap_between_batches(database, clock, monkeypatch, crowded=False)
    assert gap < 0.2 * STEP_BACK


async def test_a_worker_leaves_deliveries_it_has_no_handler_for(
    database: SqlStore, clock: FakeClock
) -> None:
    """A worker with Slack off must not take Slack's deliveries from one with Slack on."""
    inbox, handler = Inbox(database, clock), RecordingHandler()
    await inbox.record(Platform.SLACK, "event:Ev1", {"n": 1})
    teams_only = InboxWorker(inbox, database, {Platform.TEAMS: handler}, clock)

    assert await teams_only.handle_due() == 0
    assert await InboxWorker(inbox, database, {}, clock).handle_due() == 0
    assert inbox.pending() == 1
    assert await _worker(inbox, database, clock, handler).handle_due() == 1
