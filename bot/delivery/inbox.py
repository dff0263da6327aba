"""Deliveries answered before they are handled: recorded first, handled after, never lost.

A chat platform wants its answer within seconds, and answering costs far less than handling
(a claim, a comment, the people it names). A listener records the delivery and answers; an
`InboxWorker`, in this process or in `allhands work` processes, handles what is recorded,
oldest first, and tries again later what failed. The record is the promise the answer made: a
crash between the two loses nothing, because a worker picks the delivery up once its lease
runs out. Recording ignores ids already recorded, so a retried delivery does nothing twice.

Answers come first. Where a worker shares its process with the answers, a flood of requests
would otherwise wait on the worker's claims in the one interpreter, and a platform that gets
no answer in time retries, which only adds to the flood. So while the server says answers are
crowding, the worker steps back after each batch for `STEP_BACK` times as long as the batch
took: the answers keep about three quarters of the process, the work still goes on, and what
is left waits in the inbox until the flood passes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.delivery.group_commit import GroupCommit
from bot.delivery.wakeup import Wakeup
from bot.domain import Platform
from bot.errors import DatabaseUnavailable
from bot.ports.clock import Clock
from bot.ports.records import InboxDelivery
from bot.ports.store import Store

log = logging.getLogger(__name__)

Handle = Callable[[dict[str, Any]], Awaitable[None]]
Record = tuple[Platform, str, dict[str, Any]]

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=2)  # longer than any one delivery's handling takes
KEEP_DONE = timedelta(days=1)  # platforms retry within minutes; a day of ids is plenty
FORGET_EVERY = KEEP_DONE / 24
STEP_BACK = 3.0
LONGEST_STEP_BACK = 1.0  # seconds: however slow a batch, the work never stalls for long


class Inbox:
    """Records deliveries; those arriving together share a transaction."""

    def __init__(self, db: Store, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._commit: GroupCommit[Record, None] = GroupCommit(self._write)
        self.on_record: list[Callable[[], None]] = []  # wakes this process's workers

    async def record(self, platform: Platform, delivery_id: str, payload: dict[str, Any]) -> None:
        """Return once the delivery is stored (or was already): then it may be answered."""
        await self._commit.submit((platform, delivery_id[:300], payload))
        self.wake_workers()

    def wake_workers(self) -> None:
        """Deliveries were recorded: this process's workers look now."""
        for wake in self.on_record:
            wake()

    def pending(self) -> int:
        with self._db.read() as uow:
            return uow.inbox.pending()

    def _write(self, batch: Sequence[Record]) -> list[None]:
        with self._db.write() as uow:
            uow.inbox.record(batch, self._clock.now())
            uow.commit()
        return [None] * len(batch)


class InboxWorker:
    """Handles recorded deliveries, `at_once` at a time, until `stop()`; steps back after each
    batch while `crowded()` says answers are waiting on this process."""

    def __init__(
        self,
        inbox: Inbox,
        db: Store,
        handlers: Mapping[Platform, Handle],
        clock: Clock,
        *,
        at_once: int = 16,
        idle_poll: float = 0.5,
        crowded: Callable[[], bool] = lambda: False,
    ) -> None:
        self._db = db
        self._handlers = handlers
        self._clock = clock
        self._at_once = at_once
        self._idle_poll = idle_poll
        self._crowded = crowded
        self._wakeup = Wakeup()
        self._stopping = False
        inbox.on_record.append(self.wake)

    async def run(self) -> None:
        """Handle batches until `stop()`; sleep when nothing is due, unless woken."""
        self._wakeup.bind()
        last_forget = self._clock.now()
        while not self._stopping:
            self._wakeup.clear()
            started = time.monotonic()
            try:
                handled = await self.handle_due()
                if self._clock.now() - last_forget > FORGET_EVERY:
                    last_forget = self._clock.now()
                    await asyncio.to_thread(self.forget_old)
            except DatabaseUnavailable as error:
                log.warning("inbox.database_unavailable error=%s", error)
                handled = 0
            if not handled:
                await self._wakeup.sleep(self._idle_poll)
            elif self._crowded():
                took = time.monotonic() - started
                await asyncio.sleep(min(took * STEP_BACK, LONGEST_STEP_BACK))

    def stop(self) -> None:
        self._stopping = True
        self.wake()

    def wake(self) -> None:
        """Thread-safe: deliveries were recorded here, or in another process (a database
        signal said so)."""
        self._wakeup.wake()

    async def handle_due(self) -> int:
        """Take one batch of due deliveries and handle it; how many were taken."""
        if not self._handlers:
            return 0  # no chat platform on here: leave the deliveries to a worker that has one
        taken = await asyncio.to_thread(self._take)
        if not taken:
            return 0
        again = await asyncio.gather(*(self._handle(delivery) for delivery in taken))
        await asyncio.to_thread(self._settle, taken, again)
        return len(taken)

    async def _handle(self, delivery: InboxDelivery) -> bool:
        """Handle one delivery; whether it failed and should be tried again."""
        try:
            await self._handlers[delivery.platform](delivery.payload)
        except Exception:
            log.exception(
                "inbox.handling_failed id=%s attempt=%s", delivery.id, delivery.attempts + 1
            )
            return delivery.attempts + 1 < MAX_ATTEMPTS
        return False

    def _take(self) -> list[InboxDelivery]:
        now = self._clock.now()
        with self._db.write() as uow:
            taken = uow.inbox.take(now, now + LEASE, self._at_once, list(self._handlers))
            uow.commit()
        return taken

    def _settle(self, taken: Sequence[InboxDelivery], again: Sequence[bool]) -> None:
        now = self._clock.now()
        with self._db.write() as uow:
            done = [d.id for d, retry in zip(taken, again, strict=True) if not retry]
            if done:
                uow.inbox.finish(done, now)
            for delivery, retry in zip(taken, again, strict=True):
                if retry:
                    uow.inbox.retry_at(
                        delivery.id, now + timedelta(seconds=2 ** (delivery.attempts + 1))
                    )
            uow.commit()

    def forget_old(self) -> None:
        """Drop delivery ids kept past `KEEP_DONE`: handled inbox rows, and the ids of
        deliveries answered at once (modals, commands, Teams), which would otherwise pile up."""
        before = self._clock.now() - KEEP_DONE
        with self._db.write() as uow:
            uow.inbox.forget(before)
            uow.jobs.forget_deliveries(before)
            uow.commit()
