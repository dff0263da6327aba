"""A worker's idle sleep that any thread can cut short: a commit in a use case's thread, a
database signal from the listener's thread, a recorded delivery on the event loop."""

from __future__ import annotations

import asyncio
import contextlib


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self) -> None:
        """Called on the worker's loop as it starts (a worker may run again on another loop);
        wakes before that are not needed: a starting worker looks for work first."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def wake(self) -> None:
        """Thread-safe; on the worker's own loop (a delivery recorded) it skips the hand-off,
        and a wake already pending needs no other (a flood records deliveries by the thousand)."""
        loop = self._loop
        if loop is None or loop.is_closed() or self._event.is_set():
            return
        if _running_loop() is loop:
            self._event.set()
        else:
            loop.call_soon_threadsafe(self._event.set)

    def clear(self) -> None:
        """Forget earlier wakes: called before looking for work, so none made meanwhile is lost."""
        self._event.clear()

    async def sleep(self, seconds: float) -> None:
        """Up to `seconds`, less when woken."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
