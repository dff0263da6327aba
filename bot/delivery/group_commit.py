"""Group commit: requests arriving at the same time share one transaction.

Each transaction costs a commit and its fixed overhead; under load, requests that arrive while
one batch is being written wait for the next batch and share its transaction. An idle server
writes a lone request at once, so this adds no latency when there is no queue.

The batches are written on a thread of their own: in the shared pool they would queue behind
whatever background work (an inbox worker's claims) filled it, and the requests waiting on a
batch are the ones a client is waiting to hear back about.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.errors import AllHandsError
from bot.service import Desk, Ingested, IngestRequest

MAX_BATCH = 64

T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Waiting(Generic[T, R]):
    request: T
    result: asyncio.Future[R]


class GroupCommit(Generic[T, R]):
    """Calls `write_each` (in a worker thread) with a batch of requests; it returns one result,
    or the `AllHandsError` refusing it, per request in order."""

    def __init__(
        self,
        write_each: Callable[[Sequence[T]], Sequence[R | AllHandsError]],
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._write_each = write_each
        self._max_batch = max_batch
        self._waiting: list[_Waiting[T, R]] = []
        self._writer: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="group-commit")

    async def submit(self, request: T) -> R:
        """Write one request (in whichever batch it lands) and return its outcome."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(request, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        return await future

    async def _write_batches(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                write = functools.partial(self._write_each, [w.request for w in batch])
                results = await asyncio.get_running_loop().run_in_executor(
                    self._thread, contextvars.copy_context().run, write
                )  # in this task's context, as `asyncio.to_thread` would: logs keep request ids
            except Exception as error:  # the database failed the whole batch: tell everyone
                for waiting in batch:
                    if not waiting.result.done():
                        waiting.result.set_exception(error)
                continue
            for waiting, result in zip(batch, results, strict=True):
                if waiting.result.done():
                    continue  # the client went away
                if isinstance(result, AllHandsError):
                    waiting.result.set_exception(result)
                else:
                    waiting.result.set_result(result)


def ingest_queue(desk: Desk, max_batch: int = MAX_BATCH) -> GroupCommit[IngestRequest, Ingested]:
    """Single-item ingests, written together when they arrive together."""
    return GroupCommit(desk.ingest_each, max_batch)
