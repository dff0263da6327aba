"""Counters the core and the chat adapters bump; `/metrics` (handlers/observability.py) serves them.

They live in prometheus-client's default registry, so any module can count without being
handed a registry; each replica counts its own work and Prometheus sums the replicas.
"""

from __future__ import annotations

from prometheus_client import Counter

from bot.domain import Platform
from bot.ports.changes import Change

CHAT_RATE_LIMITED = Counter(
    "allhands_chat_rate_limited",
    "Outbound chat calls a platform refused with a rate limit (HTTP 429).",
    ["platform"],
)
FEEDBACK_EVENTS = Counter(
    "allhands_feedback_events",
    "Committed changes to feedback items, by event kind (ingested, claimed, closed ...).",
    ["kind"],
)
DIGEST_SENDS = Counter("allhands_digest_sends", "Daily digests delivered.")


def count_rate_limited(platform: Platform) -> None:
    """A chat platform answered 429: call once per refused call."""
    CHAT_RATE_LIMITED.labels(platform=platform.value).inc()


class CountChanges:
    """A `ChangeListener` that counts committed changes by kind."""

    def item_changed(self, change: Change) -> None:
        FEEDBACK_EVENTS.labels(kind=change.kind.value).inc()
