"""Registering issue trackers (GitHub, GitLab, Jira, Linear): the URL each one's webhook posts
to, its secret (sealed)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from time import monotonic

from bot.admin.secrets import SecretBox
from bot.errors import Conflict, Invalid, NotFound
from bot.ports.clock import Clock
from bot.ports.records import StoredTracker
from bot.ports.store import Store
from bot.trackers.issues import TrackerKind

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
CACHE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """A tracker as the code uses it: its secret opened."""

    name: str
    kind: TrackerKind
    secret: str


class TrackerRegistry:
    def __init__(self, db: Store, box: SecretBox, clock: Clock, public_url: str = "") -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._public_url = public_url.rstrip("/")
        self._cache: dict[str, tuple[float, TrackerConfig | None]] = {}

    def add(self, kind: str, name: str, secret: str) -> str:
        """Register a tracker; returns the URL its webhook posts to."""
        chosen = _kind(kind)
        if not _NAME.match(name):
            raise Invalid(
                "A tracker name is lower-case letters, digits, '.', '_' or '-' (e.g. github).",
                "name",
            )
        if not secret.strip():
            raise Invalid(f"A {chosen} tracker needs the webhook's secret: --secret.", "secret")
        stored = StoredTracker(name, chosen.value, self._box.seal(secret), self._clock.now())
        with self._db.write() as uow:
            if not uow.trackers.add(stored):
                raise Conflict(f"A tracker named {name} exists already; remove it first.")
            uow.commit()
        self._cache.pop(name, None)
        return self.url_for(name)

    def listed(self) -> list[tuple[str, str, str]]:
        """Every tracker's name, kind and URL: no secret is even opened."""
        with self._db.read() as uow:
            stored = uow.trackers.all()
        return [(s.name, s.kind, self.url_for(s.name)) for s in stored]

    def remove(self, name: str) -> None:
        with self._db.write() as uow:
            if not uow.trackers.remove(name):
                raise NotFound(f"There is no tracker named {name}.")
            uow.commit()
        self._cache.pop(name, None)

    def url_for(self, name: str) -> str:
        """Where the tracker's webhook posts: absolute when ALLHANDS_PUBLIC_URL is set."""
        return f"{self._public_url}/trackers/{name}"

    def cached(self, name: str) -> TrackerConfig | None:
        """The tracker as every replica sees it, re-read at most every `CACHE_SECONDS`."""
        hit = self._cache.get(name)
        if hit and hit[0] > monotonic():
            return hit[1]
        with self._db.read() as uow:
            stored = uow.trackers.get(name)
        found = None
        if stored is not None:
            opened = self._box.open(stored.sealed_secret)
            found = TrackerConfig(stored.name, TrackerKind(stored.kind), opened)
        self._cache[name] = (monotonic() + CACHE_SECONDS, found)
        return found

    async def find(self, name: str) -> TrackerConfig | None:
        """`cached` for the event loop: a stale answer is read again in a worker thread."""
        hit = self._cache.get(name)
        if hit and hit[0] > monotonic():
            return hit[1]
        return await asyncio.to_thread(self.cached, name)


def _kind(kind: str) -> TrackerKind:
    try:
        chosen = TrackerKind(kind.lower())
    except ValueError:
        known = ", ".join(k.value for k in TrackerKind)
        raise Invalid(f"'{kind}' is not a tracker; trackers are {known}.", "kind") from None
    return chosen
