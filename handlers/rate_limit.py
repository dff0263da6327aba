"""Token buckets in memory, per key: look-ups of unknown API tokens per client address, and
deliveries per source, so one runaway sender cannot starve the others.

The limit holds per replica, so N replicas admit up to N times the rate; the API's own rate
per token is shared by every replica instead (`bot.access.rate_limits.SharedBuckets`).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBuckets:
    """`rate` requests per second per key, with bursts of up to `burst` requests."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens left, when)

    def take(self, key: str) -> float:
        """0 when `key` may make a request now; otherwise seconds until it may."""
        now = self._clock()
        tokens, then = self._buckets.get(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self._rate
