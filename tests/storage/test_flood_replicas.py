"""Two replicas ingesting one source's flood at the same time show no more cards between them
than the flood limit, and queue one summary."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.core import Core
from bot.intake import FeedbackDraft
from tests.support.builders import API
from tests.support.clock import FakeClock
from tests.support.core import make_core

LIMIT = 5
PER_REPLICA = 20


def _replica(db_url: str, clock: FakeClock) -> Core:
    return make_core(
        db_url,
        clock,
        SLACK_BOT_TOKEN="xoxb-test",
        ALLHANDS_SLACK_CHANNEL="C0CARDS",
        ALLHANDS_FLOOD_CARDS_PER_HOUR=str(LIMIT),
    )


def test_concurrent_floods_show_the_limit_and_queue_one_summary(
    db_url: str, clock: FakeClock
) -> None:
    replicas = [_replica(db_url, clock) for _ in range(2)]

    def flood(core: Core) -> None:
        for n in range(PER_REPLICA):
            core.desk.ingest(FeedbackDraft(source="appstore", body=f"Crash {n}"), API)

    with ThreadPoolExecutor(max_workers=len(replicas)) as pool:
        list(pool.map(flood, replicas))

    with replicas[0].db.read() as uow:
        assert uow.outbox.pending() == LIMIT + 1  # the cards shown, and one summary
    for core in replicas:
        core.close()
