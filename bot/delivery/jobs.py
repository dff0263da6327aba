"""A small job runner inside the server: `schedule` beats, the injected clock decides.

`schedule` keeps time with the machine's naive local clock and needs pytz for time zones, so it
only supplies the heartbeat here. Whether a job is due is computed from the injected `Clock` in
the company time zone (`DigestPlan.due`), which keeps DST right and lets tests drive the runner
with a fake clock. Running once at start sends what downtime held back, within the grace
window; the `job_runs` claim makes sure nothing goes out twice, whichever replica runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import schedule

from bot.ports.clock import Clock

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60


class Job(Protocol):
    async def run_due(self, now: datetime) -> None: ...


class JobRunner:
    def __init__(
        self, jobs: Sequence[Job], clock: Clock, *, heartbeat_seconds: int = HEARTBEAT_SECONDS
    ) -> None:
        self._jobs = list(jobs)
        self._clock = clock
        self._heartbeat_seconds = heartbeat_seconds
        self._beat = False
        self._stop = asyncio.Event()

    async def run_pending(self) -> None:
        """Run every job that is due now; one failing job does not stop the others."""
        now = self._clock.now()
        for job in self._jobs:
            try:
                await job.run_due(now)
            except Exception:
                log.exception("scheduler.job_failed job=%s", type(job).__name__)

    async def run(self) -> None:
        """Until `stop()`: once at start (catching up after downtime), then on every beat."""
        heartbeat = schedule.Scheduler()
        heartbeat.every(self._heartbeat_seconds).seconds.do(self._wake)
        self._beat = True
        while not self._stop.is_set():
            heartbeat.run_pending()
            if self._beat:
                self._beat = False
                await self.run_pending()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=1.0)

    def stop(self) -> None:
        self._stop.set()

    def _wake(self) -> None:
        self._beat = True
