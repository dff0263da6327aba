"""Work another process stores wakes this process's idle workers at once on PostgreSQL; on
SQLite they find it at their next poll."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import pytest

from bot.admin.routing import StaticRouter
from bot.delivery.inbox import Inbox, InboxWorker
from bot.delivery.outbox import OutboxWorker
from bot.domain import Platform
from bot.intake import FeedbackDraft
from bot.service import Desk
from storage.db import create_db_engine
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.clock import FakeClock
from tests.support.databases import ENGINES
from tests.support.doubles import (
    RecordingHandler,
    RecordingListener,
    RecordingPoster,
    WatchedStore,
)
from tests.support.eventually import PATIENCE, eventually

IDLE_POLL = 3600.0  # far longer than any test waits: only a signal wakes the workers
SQLITE, POSTGRESQL = ENGINES
on_engine = functools.partial(pytest.mark.parametrize, "db_url", indirect=True)


@contextmanager
def _another_process(db_url: str) -> Iterator[SqlStore]:
    """Its own engine over the same data: nothing in this process hears what it stores."""
    other = SqlStore(create_db_engine(db_url))
    try:
        yield other
    finally:
        other.close()


@asynccontextmanager
async def _listening(
    database: SqlStore, *, inbox: Callable[[], None], outbox: Callable[[], None]
) -> AsyncIterator[None]:
    listener = database.listener(inbox=inbox, outbox=outbox)
    assert listener is not None
    listener.start()
    try:
        assert listener.wait_listening(PATIENCE)
        yield
    finally:
        await asyncio.to_thread(listener.stop)


@on_engine([POSTGRESQL])
async def test_a_delivery_recorded_elsewhere_wakes_the_idle_inbox_worker(
    db_url: str, database: SqlStore, clock: FakeClock
) -> None:
    handler, watched = RecordingHandler(), WatchedStore(database)
    worker = InboxWorker(
        Inbox(database, clock), watched, {Platform.SLACK: handler}, clock, idle_poll=IDLE_POLL
    )
    async with _listening(database, inbox=worker.wake, outbox=lambda: None):
        running = asyncio.create_task(worker.run())
        await eventually(lambda: watched.looks > 0)  # idle now, until its poll in an hour
        with _another_process(db_url) as other:
            await Inbox(other, clock).record(Platform.SLACK, "event:Ev1", {"n": 1})
            await eventually(lambda: handler.seen == [{"n": 1}])
        worker.stop()
        await running


@on_engine([POSTGRESQL])
async def test_a_change_made_elsewhere_wakes_the_idle_outbox(
    db_url: str, database: SqlStore, clock: FakeClock
) -> None:
    poster, watched = RecordingPoster(), WatchedStore(database)
    worker = OutboxWorker(watched, {Platform.SLACK: poster}, clock, idle_poll_seconds=IDLE_POLL)
    async with _listening(database, inbox=lambda: None, outbox=worker.wake):
        running = asyncio.create_task(worker.run())
        await eventually(lambda: watched.looks > 0)  # idle now
        with _another_process(db_url) as other:
            desk = Desk(other, StaticRouter(slack_channel="C1"), RecordingListener(), clock)
            draft = FeedbackDraft(source="email", body="The app logs me out")
            ref = desk.ingest(draft, person("api", Platform.API)).item.ref
            await eventually(lambda: poster.calls == [("post", ref, "open")])
        worker.stop()
        await running


@on_engine([SQLITE])
def test_sqlite_has_no_signals_so_its_workers_poll(database: SqlStore) -> None:
    assert database.listener(inbox=lambda: None, outbox=lambda: None) is None
    with database.write() as uow:  # storing work signals nothing, and does not fail
        uow.inbox.record([(Platform.SLACK, "event:Ev1", {"n": 1})], FakeClock().now())
        uow.commit()
    assert Inbox(database, FakeClock()).pending() == 1
