"""Per-conversation send pacing, so the outbox stays under a chat platform's rate limit.

Waiting a `Retry-After` only after a 429 means one refused call for every message past the
limit; spacing the sends up front means (almost) none. Each poster keeps its own `Pacer` with
its platform's numbers (Slack: 1 message per second per channel; Teams: 7 per second per
conversation). Only the conversation being paced waits: the outbox sends channels concurrently.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Pacer:
    """Spaces sends so no conversation gets more than `rate` in any `window` seconds."""

    def __init__(self, rate: int, window: float = 1.0) -> None:
        self._rate = rate
        self._window = window
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, conversation: str) -> None:
        """Return once a send to `conversation` now keeps it under the rate; counts that send."""
        async with self._lock(conversation):
            await self._free_slot(conversation)
            self._sent[conversation].append(time.monotonic())

    @asynccontextmanager
    async def sending(self, conversation: str) -> AsyncIterator[None]:
        """Wait as `wait` does, then hold the conversation for the send in the block.

        The send counts from its answer, not its start: the platform sees a request somewhere
        between the two, so counting from the answer keeps the spacing it sees at least
        `window / rate` however long each request takes to arrive.
        """
        async with self._lock(conversation):
            await self._free_slot(conversation)
            try:
                yield
            finally:
                self._sent[conversation].append(time.monotonic())

    def _lock(self, conversation: str) -> asyncio.Lock:
        return self._locks.setdefault(conversation, asyncio.Lock())

    async def _free_slot(self, conversation: str) -> None:
        sent = self._sent.setdefault(conversation, deque(maxlen=self._rate))
        if len(sent) == self._rate:
            delay = sent[0] + self._window - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
