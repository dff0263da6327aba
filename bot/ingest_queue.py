"""Group commit for single-item ingests arriving at the same time.

Each transaction costs a commit and its fixed overhead; under load, requests that arrive while
one batch is being written wait for the next batch and share its transaction. An idle server
writes a lone request at once, so this adds no latency when there is no queue.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.errors import AllHandsError
from bot.service import Desk, Ingested, IngestRequest

MAX_BATCH = 64


@dataclass
class _Waiting:
    request: IngestRequest
    result: asyncio.Future[Ingested]


class IngestQueue:
    def __init__(self, desk: Desk, max_batch: int = MAX_BATCH) -> None:
        self._desk = desk
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def ingest(self, request: IngestRequest) -> Ingested:
        """Store one request (in whichever batch it lands) and return its outcome."""
        future: asyncio.Future[Ingested] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(request, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        return await future

    async def _write_batches(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                results = await asyncio.to_thread(
                    self._desk.ingest_each, [w.request for w in batch]
                )
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
