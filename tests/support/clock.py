"""Time the test owns: a wall clock it moves by hand, and a monotonic clock for waits.

`FakeClock` stands in for the core's `Clock`. `VirtualTime` stands in for `time.monotonic`,
`asyncio.sleep` and the event loop's `time()` inside one module of the code under test (a
pacer, a worker's step back, a run's deadline), so a test checks how long the code chose to
wait as numbers, and waits for nothing.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

_real_sleep = asyncio.sleep


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class _Overlay:
    """A module seen through a few replaced attributes; everything else is the real thing."""

    def __init__(self, real: object, **replaced: Any) -> None:
        self._real = real
        self.__dict__.update(replaced)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class VirtualTime:
    """Monotonic seconds that pass only when the code sleeps or the test calls `advance`.

    A sleep returns at once (after one turn of the event loop), moving the time on by what was
    asked and noting it in `sleeps`.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    @classmethod
    def installed(cls, monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> VirtualTime:
        """Virtual time for `module`'s `time.monotonic()`, `asyncio.sleep()` and
        `asyncio.get_running_loop().time()`; everything else there stays real."""
        virtual = cls()
        if hasattr(module, "time"):
            monkeypatch.setattr(module, "time", _Overlay(time, monotonic=virtual.monotonic))
        monkeypatch.setattr(
            module,
            "asyncio",
            _Overlay(asyncio, sleep=virtual.sleep, get_running_loop=virtual._running_loop),
        )
        return virtual

    def _running_loop(self) -> Any:
        return _Overlay(asyncio.get_running_loop(), time=self.monotonic)

    def monotonic(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float, result: Any = None) -> Any:
        self.sleeps.append(seconds)
        self.now += max(seconds, 0.0)
        await _real_sleep(0)
        return result
