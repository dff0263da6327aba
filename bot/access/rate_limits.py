"""The ingest API's rate limit, one bucket per token in the database: every replica spends
from the same bucket, so N replicas together admit one token's rate, not N times it.

A write per request would cost more than the request itself, so a replica spending from a
large bucket takes a little ahead (1% of the burst, at most `MAX_AHEAD`) and spends that
first. Nothing is ever spent twice, so the replicas together still never pass the rate; the
price is that a replica can be refused while another still holds what it took ahead.
"""

from __future__ import annotations

import threading

from bot.ports.clock import Clock
from bot.ports.store import Store

MAX_AHEAD = 100


class SharedBuckets:
    """`rate` per second per key, in bursts of up to `burst`; what is counted (requests,
    items) is the caller's `cost`."""

    def __init__(self, db: Store, clock: Clock, rate: float, burst: int) -> None:
        self._db = db
        self._clock = clock
        self.rate = rate
        self.burst = burst
        self._ahead = min(MAX_AHEAD, burst // 100)
        self._held: dict[str, int] = {}  # key -> taken from the database, not yet spent
        self._lock = threading.Lock()

    def take(self, key: str, cost: int = 1) -> float:
        """0 when `key` may spend `cost` now (and has); otherwise the seconds until it may,
        nothing spent."""
        with self._lock:
            held = self._held.get(key, 0)
            if held >= cost:
                self._held[key] = held - cost
                return 0.0
            self._held[key] = 0
        need = cost - held
        if self._ahead and self._spend(key, need + self._ahead) == 0:
            self._hold(key, self._ahead)
            return 0.0
        wait = self._spend(key, need)
        if wait > 0:
            self._hold(key, held)  # kept for the next request
        return wait

    def _hold(self, key: str, count: int) -> None:
        with self._lock:
            self._held[key] = self._held.get(key, 0) + count

    def _spend(self, key: str, cost: int) -> float:
        with self._db.write() as uow:
            now = self._clock.now().timestamp()
            wait = uow.rate_buckets.spend(key, cost, self.rate, self.burst, now)
            uow.commit()
        return wait
