"""The ingest API's rate limit, one bucket per token in the database: every replica spends
from the same bucket, so N replicas together admit one token's rate, not N times it."""

from __future__ import annotations

from bot.ports.clock import Clock
from bot.ports.store import Store


class SharedBuckets:
    """`rate` per second per key, in bursts of up to `burst`; what is counted (requests,
    items) is the caller's `cost`."""

    def __init__(self, db: Store, clock: Clock, rate: float, burst: int) -> None:
        self._db = db
        self._clock = clock
        self.rate = rate
        self.burst = burst

    def take(self, key: str, cost: int = 1) -> float:
        """0 when `key` may spend `cost` now (and has); otherwise the seconds until it may,
        nothing spent."""
        with self._db.write() as uow:
            now = self._clock.now().timestamp()
            wait = uow.rate_buckets.spend(key, cost, self.rate, self.burst, now)
            uow.commit()
        return wait
