"""Stand-ins for the core's ports that record what they were given: a change listener, a chat
poster that fails on demand, an inbox handler, a store that counts its transactions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.customers.story import NO_STORY, CustomerStory
from bot.domain import Event, Feedback, Platform
from bot.errors import DeliveryError
from bot.ports.changes import Change
from bot.ports.chat import PostedCard
from bot.ports.records import CardCopy
from bot.ports.store import Store, UnitOfWork


class RecordingListener:
    """A `ChangeListener` that keeps every change it hears of."""

    def __init__(self) -> None:
        self.changes: list[Change] = []

    def item_changed(self, change: Change) -> None:
        self.changes.append(change)


@dataclass
class RecordingPoster:
    """A chat platform stand-in that records calls and fails on demand."""

    platform: Platform = Platform.SLACK
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)
    posted: int = 0

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def post_card(
        self,
        item: Feedback,
        channel: str,
        dedup_key: str,
        *,
        retry: bool = False,
        story: CustomerStory = NO_STORY,
    ) -> PostedCard:
        self._maybe_fail()
        self.posted += 1
        self.calls.append(("post", item.ref, item.state.value))
        return PostedCard(f"{channel}:{self.posted}", {"key": dedup_key})

    async def update_card(
        self, item: Feedback, copy: CardCopy, story: CustomerStory = NO_STORY
    ) -> None:
        self._maybe_fail()
        self.calls.append(("update", item.ref, item.state.value))

    async def post_note(
        self, item: Feedback, copy: CardCopy, event: Event, *, retry: bool = False
    ) -> None:
        self._maybe_fail()
        self.calls.append(("note", item.ref, event.kind.value))

    async def post_mention(
        self, item: Feedback, copy: CardCopy, mention: str, *, retry: bool = False
    ) -> None:
        self._maybe_fail()
        self.calls.append(("mention", item.ref, mention))


class RecordingHandler:
    """An inbox handler: records the payloads it is given; fails the first `failures` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.seen: list[dict[str, Any]] = []
        self.failures = failures

    async def __call__(self, payload: dict[str, Any]) -> None:
        self.seen.append(payload)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the platform is down")


class WatchedStore:
    """A store that counts the transactions taken from it, so a test can wait until a worker
    has looked for work (and found none) instead of sleeping a while."""

    def __init__(self, db: Store) -> None:
        self._db = db
        self.looks = 0

    def read(self) -> UnitOfWork:
        self.looks += 1
        return self._db.read()

    def write(self) -> UnitOfWork:
        self.looks += 1
        return self._db.write()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)
