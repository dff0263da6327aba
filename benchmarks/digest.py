"""Building the daily digest for 100,000 items in its period, against its raw SQL alone.

Seeds a SQLite database with 100,000 arrivals yesterday (plus two weeks of lighter history for
the averages and the chart), most of them claimed and many closed, then times
`build_digest` (queries, themes, sentiment, quotes, leaderboard) beside the same aggregate
queries run bare through `DigestQueries`. Best of three runs each.

Target: the digest in under 5 s and at most 3x the raw queries.

Run: python -m benchmarks.digest
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchmarks.harness import row
from bot.digest.build import PEOPLE_PLATFORMS as PEOPLE
from bot.digest.build import WORK, build_digest
from bot.digest.period import DigestPlan, local_midnight
from bot.domain import EventKind, Kind, Platform, State
from storage.db import create_db_engine, upgrade
from storage.models import EventRow, FeedbackRow
from storage.repositories.sql import bulk_insert_ignoring
from storage.uow import SqlStore
from tests.support.realdata import REALDATA

PERIOD_ITEMS = 100_000
HISTORY_ITEMS_PER_DAY = 2_000
HISTORY_DAYS = 14
DIGEST_DAY = date(2026, 3, 10)
PLAN = DigestPlan(
    zone=ZoneInfo("Europe/Berlin"),
    send_at=clock_time(9, 0),
    weekdays=frozenset(range(5)),
    grace=timedelta(hours=6),
)
TARGET_SECONDS = 5.0
TARGET_RATIO = 3.0
HELPERS = 300


def texts() -> list[str]:
    """Real customer messages when the shared real data is at hand, else plain sentences."""
    path = REALDATA / "feedback" / "banking77_test.csv"
    if path.exists():
        with path.open(newline="") as handle:
            return [r["text"] for r in csv.DictReader(handle)]
    subjects = ["my card", "the transfer", "the app", "my refund", "the exchange rate"]
    problems = ["is not working", "has not arrived", "was declined", "is too slow", "is great"]
    return [f"Why {s} {p} again?" for s in subjects for p in problems]


def seed(db: SqlStore) -> None:
    rng = random.Random(6)
    bodies = texts()
    start = local_midnight(DIGEST_DAY - timedelta(days=1), PLAN.zone)
    arrivals = [start + timedelta(seconds=rng.randrange(86_400)) for _ in range(PERIOD_ITEMS)]
    for back in range(1, HISTORY_DAYS):
        day = start - timedelta(days=back)
        arrivals += [
            day + timedelta(seconds=rng.randrange(86_400)) for _ in range(HISTORY_ITEMS_PER_DAY)
        ]
    items: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for n, at in enumerate(arrivals, start=1):
        claim = at + timedelta(minutes=rng.randint(1, 600)) if rng.random() < 0.7 else None
        close = (
            claim + timedelta(minutes=rng.randint(5, 900)) if claim and rng.random() < 0.6 else None
        )
        state = State.CLOSED if close else State.CLAIMED if claim else State.OPEN
        items.append(_item(n, at, rng.choice(bodies), rng, state))
        events.append(_event(n, EventKind.INGESTED, 1, at))
        helper = 2 + rng.randrange(HELPERS)
        if claim:
            events.append(_event(n, EventKind.CLAIMED, helper, claim))
        if close:
            events.append(_event(n, EventKind.CLOSED, helper, close))
    with db.write() as uow:
        for person in range(HELPERS + 1):
            uow.people.ensure(f"Helper {person}", f"helper{person}@example.com", start)
        for chunk in range(0, len(items), 20_000):
            rows = items[chunk : chunk + 20_000]
            bulk_insert_ignoring(uow.session, FeedbackRow.__table__, rows, ["id"])
        for chunk in range(0, len(events), 50_000):
            rows = events[chunk : chunk + 50_000]
            bulk_insert_ignoring(uow.session, EventRow.__table__, rows, ["id"])
        uow.commit()


def _item(n: int, at: datetime, body: str, rng: random.Random, state: State) -> dict[str, Any]:
    return {
        "source": "bench",
        "external_id": str(n),
        "title": None,
        "body": body,
        "kind": rng.choice(list(Kind)).value,
        "severity": "normal",
        "tags": [f"topic-{rng.randrange(40)}"],
        "customer_name": "Jane Doe",
        "received_at": at,
        "state": state.value,
        "notify_customer": False,
        "created_at": at,
        "updated_at": at,
        "version": 1,
    }


def _event(item: int, kind: EventKind, actor: int, at: datetime) -> dict[str, Any]:
    return {
        "feedback_id": item,
        "kind": kind.value,
        "actor_id": actor,
        "platform": Platform.SLACK.value,
        "at": at,
        "data": {},
    }


def raw_queries(db: SqlStore) -> None:
    """Exactly the aggregate queries `build_digest` runs, and nothing else."""
    period = PLAN.period(DIGEST_DAY)
    first = period.last_day - timedelta(days=HISTORY_DAYS - 1)
    bounds = [local_midnight(first + timedelta(days=i), PLAN.zone) for i in range(HISTORY_DAYS + 1)]
    with db.read() as uow:
        queries = uow.digest
        queries.arrivals_by_day(bounds)
        queries.transitions_by_day(
            bounds, [EventKind.CLAIMED, EventKind.CLOSED, EventKind.REOPENED]
        )
        queries.backlog_at(bounds[0])
        queries.work_by_person([bounds[-11], bounds[-8], period.start, period.end], WORK, PEOPLE)
        queries.minutes_since_arrival(
            [EventKind.CLAIMED, EventKind.CLOSED], period.start, period.end
        )
        queries.arrivals(bounds[0], period.end, 64)
        queries.waiting(period.end, 5)


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'digest.db'}"
        upgrade(url)
        db = SqlStore(create_db_engine(url))
        seeded = time.perf_counter()
        seed(db)
        print(
            f"seeded {PERIOD_ITEMS:,} items in the period in {time.perf_counter() - seeded:.1f} s"
        )
        now = datetime.combine(DIGEST_DAY, clock_time(8), tzinfo=UTC)
        digest = build_digest(db, PLAN, DIGEST_DAY, now)
        assert digest.counts.new.value == PERIOD_ITEMS
        ours = best_of(3, lambda: build_digest(db, PLAN, DIGEST_DAY, now))
        bare = best_of(3, lambda: raw_queries(db))
        db.close()
    print(row("digest build, 100,000 items (SQLite)", ours * 1000, bare * 1000, "ms"))
    verdict = "met" if ours < TARGET_SECONDS and ours <= TARGET_RATIO * bare else "MISSED"
    print(f"target (< {TARGET_SECONDS:g} s and <= {TARGET_RATIO:g}x the raw queries): {verdict}")


if __name__ == "__main__":
    main()
