"""Three replicas on one PostgreSQL: every item gets one card per destination, every action
is applied once, the outbox empties, and each card's messages go out in order."""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from bot.admin.routing import StaticRouter
from bot.customers.story import NO_STORY, CustomerStory
from bot.delivery.outbox import OutboxWorker
from bot.domain import Event, EventKind, Feedback, Platform
from bot.errors import AllHandsError
from bot.intake import FeedbackDraft
from bot.notify import LogChanges
from bot.ports.chat import PostedCard
from bot.ports.records import CardCopy
from bot.service import Desk, IngestRequest
from storage.db import create_db_engine
from storage.uow import SqlStore
from tests.support.builders import person
from tests.support.databases import needs_postgres

ITEMS = 1_000
ACTIONS = 2_000
REPLICAS = 3

pytestmark = needs_postgres


@dataclass
class SharedPlatform:
    """One chat platform all replicas post to, recording what arrives in which order."""

    platform: Platform
    posts: Counter[tuple[str, str]] = field(default_factory=Counter)
    notes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    async def post_card(
        self,
        item: Feedback,
        channel: str,
        dedup_key: str,
        *,
        retry: bool = False,
        story: CustomerStory = NO_STORY,
    ) -> PostedCard:
        await asyncio.sleep(0)
        self.posts[(item.ref, channel)] += 1
        return PostedCard(f"{channel}:{item.ref}", {})

    async def update_card(
        self, item: Feedback, copy: CardCopy, story: CustomerStory = NO_STORY
    ) -> None:
        await asyncio.sleep(0)

    async def post_note(
        self, item: Feedback, copy: CardCopy, event: Event, *, retry: bool = False
    ) -> None:
        self.notes[item.ref].append(event.id)

    async def post_mention(
        self, item: Feedback, copy: CardCopy, mention: str, *, retry: bool = False
    ) -> None:
        await asyncio.sleep(0)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from request.getfixturevalue("pg_databases").lend()


def test_three_replicas_deliver_everything_once_and_in_order(pg_url: str) -> None:
    replicas = [SqlStore(create_db_engine(pg_url)) for _ in range(REPLICAS)]
    router = StaticRouter(slack_channel="CSLACK", teams_channel="19:teams")
    desks = [Desk(db, router, LogChanges()) for db in replicas]
    slack, teams = SharedPlatform(Platform.SLACK), SharedPlatform(Platform.TEAMS)
    workers = [
        OutboxWorker(db, {Platform.SLACK: slack, Platform.TEAMS: teams}, batch=50)
        for db in replicas
    ]

    api = person("zendesk", Platform.API)
    refs: list[str] = []
    for start in range(0, ITEMS, 100):
        batch = [
            IngestRequest(FeedbackDraft(source="load", body=f"item {n}", external_id=str(n)), api)
            for n in range(start, start + 100)
        ]
        refs += [r.item.ref for r in desks[start // 100 % REPLICAS].ingest_each(batch)]  # type: ignore[union-attr]

    chooser = random.Random(7)
    plan = [
        (chooser.choice(refs), chooser.choice(["claim", "comment", "close"]), n)
        for n in range(ACTIONS)
    ]

    def act(step: tuple[str, str, int]) -> bool:
        ref, action, n = step
        desk, who = (
            desks[n % REPLICAS],
            person(f"employee{n % 40}", chooser.choice([Platform.SLACK, Platform.TEAMS])),
        )
        try:
            if action == "claim":
                return desk.claim(ref, who).changed
            if action == "comment":
                return desk.comment(ref, who, f"note {n}", external_id=f"m{n}").changed
            return desk.close(ref, who).changed
        except AllHandsError:
            return False

    async def drain_everything() -> None:
        while True:
            handled = await asyncio.gather(*(w.drain_once() for w in workers))
            with replicas[0].read() as uow:
                if sum(handled) == 0 and uow.outbox.pending() == 0:
                    return

    async def run() -> int:
        with ThreadPoolExecutor(max_workers=16) as pool:
            applied_future = asyncio.get_running_loop().run_in_executor(
                pool, lambda: sum(pool.map(act, plan))
            )
            drain = asyncio.create_task(drain_everything())
            applied = await applied_future
            await drain
        await drain_everything()
        return applied

    applied = asyncio.run(run())

    with replicas[0].read() as uow:
        events = Counter(
            kind for ref in refs for kind in (e.kind for e in uow.events.for_item(int(ref[3:])))
        )
        assert uow.outbox.pending() == 0
    assert events[EventKind.INGESTED] == ITEMS
    assert (
        events[EventKind.CLAIMED] + events[EventKind.COMMENTED] + events[EventKind.CLOSED]
        == applied
    )
    for platform, channel in ((slack, "CSLACK"), (teams, "19:teams")):
        assert set(platform.posts.values()) == {1}
        assert len(platform.posts) == ITEMS
        assert all(key[1] == channel for key in platform.posts)
        for ref, notes in platform.notes.items():
            assert notes == sorted(notes), ref
            assert len(notes) == len(set(notes)), ref
    for db in replicas:
        db.close()
