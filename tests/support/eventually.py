"""The one way a test waits for something that happens after the code it called returned.

Background work (a card after an ack, a drained outbox, a woken worker, a server process
starting) is waited for by its effect. The timeout only turns a hang into a failure: it is
generous on purpose and says nothing about speed, so a busy machine cannot fail a test that is
right.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

PATIENCE = 30.0  # seconds before a wait is called a hang
_POLL = 0.02

Check = Callable[[], object] | Callable[[], Awaitable[object]]


async def eventually(
    check: Check, timeout: float = PATIENCE, *, what: str | Callable[[], str] = ""
) -> None:
    """Return once `check()` (awaited, if it is a coroutine function) is true; fail after
    `timeout` seconds of it being false, saying `what` was awaited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"still waiting after {timeout:g} s for {said or check}")
        await asyncio.sleep(_POLL)


async def spin(turns: int = 50) -> None:
    """Let the event loop go round `turns` times, so whatever can go on without waiting has.

    For checking that something is *still* waiting, with no clock involved.
    """
    for _ in range(turns):
        await asyncio.sleep(0)
