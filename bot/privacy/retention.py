"""Retention: customers' words kept no longer than leads set (`privacy.retention_days`).

Once a day, whichever replica claims the day's run removes the bodies, comments and customer
fields of items received before the cut-off, a batch per transaction, and queues the update of
every chat copy; the items keep their counts, states and events, so digests and trends stay
right. A run that dies leaves its claim unfinished: the rest waits for the next day's run.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timedelta

from bot.admin.configure import Admin
from bot.admin.schemas import PrivacyConfig
from bot.ports.clock import Clock
from bot.ports.store import Store
from bot.privacy.scrub import BATCH, EXPIRED, MARKERS, scrub_items

log = logging.getLogger(__name__)

JOB = "retention"
CLAIMS_KEPT = timedelta(days=7)


class Retention:
    def __init__(self, db: Store, admin: Admin, clock: Clock, batch: int = BATCH) -> None:
        self._db = db
        self._admin = admin
        self._clock = clock
        self._batch = batch

    def days(self) -> int | None:
        privacy = self._admin.read("privacy")
        assert isinstance(privacy, PrivacyConfig)
        return privacy.retention_days

    def remove_expired(self, now: datetime) -> Counter[str]:
        """Scrub every item received more than the retention period before `now`."""
        counts: Counter[str] = Counter()
        days = self.days()
        if days is None:
            return counts
        cutoff = now - timedelta(days=days)
        while True:
            with self._db.write() as uow:
                ids = uow.personal_data.items_before(cutoff, MARKERS, self._batch)
                if not ids:
                    return counts
                counts.update(scrub_items(uow, ids, EXPIRED, now))
                uow.commit()


class RetentionJob:
    """The scheduler's job: one run a day across every replica (a `job_runs` claim)."""

    def __init__(self, retention: Retention, db: Store, owner: str) -> None:
        self._retention = retention
        self._db = db
        self._owner = owner
        self._seen_day: str | None = None  # the day this replica already claimed or lost

    async def run_due(self, now: datetime) -> None:
        day = now.date().isoformat()
        if day == self._seen_day or await asyncio.to_thread(self._retention.days) is None:
            return
        claimed = await asyncio.to_thread(self._claim, now)
        self._seen_day = day
        if not claimed:
            return
        counts = await asyncio.to_thread(self._retention.remove_expired, now)
        await asyncio.to_thread(self._finish, now)
        if counts:
            log.info("retention.removed items=%s comments=%s", counts["items"], counts["comments"])

    def _claim(self, now: datetime) -> bool:
        with self._db.write() as uow:
            uow.jobs.forget_runs(JOB, now - CLAIMS_KEPT)
            claimed = uow.jobs.claim_run(JOB, now.date().isoformat(), self._owner, now)
            uow.commit()
            return claimed

    def _finish(self, now: datetime) -> None:
        with self._db.write() as uow:
            uow.jobs.finish_run(JOB, now.date().isoformat(), now)
            uow.commit()
