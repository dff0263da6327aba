"""A fake clock drives the scheduler across DST changes, restarts and downtime.

Whatever happens, each target gets exactly one digest per digest day, and several replicas on
one database still send each digest once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.delivery.jobs import JobRunner
from bot.digest.delivery import DigestSender, Target
from bot.digest.live import DigestJob
from bot.digest.model import Chart, Digest
from bot.digest.period import DigestPlan
from bot.domain import Platform
from bot.errors import DeliveryError
from storage.db import create_db_engine
from storage.uow import SqlStore
from tests.support.clock import FakeClock
from tests.support.digest import ZONE, local
from tests.support.eventually import PATIENCE, eventually

TARGETS = [
    Target(Platform.SLACK, "C-DIGEST"),
    Target(Platform.TEAMS, "19:digest@thread.tacv2"),
    *(Target(p, "ceo@example.com", person=True) for p in (Platform.SLACK, Platform.TEAMS)),
]


class Recorder:
    """A `DigestPublisher` that writes down each delivery: (target key, covered day, when)."""

    def __init__(self, platform: Platform, clock: FakeClock, log: list[tuple[str, date, datetime]]):
        self.platform = platform
        self._clock = clock
        self._log = log
        self.fail_next = 0
        self.hang_on: str | None = None  # a target whose send never returns
        self.in_flight = asyncio.Event()

    async def post_to_channel(self, channel: str, digest: Digest, chart: Chart) -> None:
        await self._record(Target(self.platform, channel), digest)

    async def send_to_person(self, email: str, digest: Digest, chart: Chart) -> bool:
        await self._record(Target(self.platform, email, person=True), digest)
        return True

    async def _record(self, target: Target, digest: Digest) -> None:
        if target.key == self.hang_on:
            self.in_flight.set()
            await asyncio.Event().wait()
        if self.fail_next:
            self.fail_next -= 1
            raise DeliveryError("rate limited", retry_after=30)
        self._log.append((target.key, digest.period.last_day, self._clock.now()))


class Replica:
    """One server's scheduler: its own engine, sender, job and runner, as after a (re)start."""

    def __init__(self, db_url: str, plan: DigestPlan, clock: FakeClock, log: list, name: str):
        self.db = SqlStore(create_db_engine(db_url))
        self.publishers = {p: Recorder(p, clock, log) for p in (Platform.SLACK, Platform.TEAMS)}
        sender = DigestSender(self.db, self.publishers, plan, clock, owner=name)
        self.runner = JobRunner([DigestJob(sender, plan, TARGETS)], clock)

    def close(self) -> None:
        self.db.close()


def plan(at: time, days: frozenset[int] = frozenset(range(7))) -> DigestPlan:
    return DigestPlan(zone=ZONE, send_at=at, weekdays=days, grace=timedelta(hours=6))


async def drive(replica: Replica, clock: FakeClock, until: datetime) -> None:
    """Tick every 10 minutes, as the heartbeat would, until `until`."""
    while clock.current < until:
        await replica.runner.run_pending()
        clock.advance(minutes=10)


async def test_one_digest_per_day_per_target_across_dst_restarts_and_downtime(
    db_url: str,
) -> None:
    log: list[tuple[str, date, datetime]] = []
    schedule = plan(time(9, 0))
    clock = FakeClock(local(date(2026, 3, 27), 0))
    first = Replica(db_url, schedule, clock, log, "a")
    await drive(first, clock, local(date(2026, 3, 29), 9, 10))  # Sunday: clocks went forward
    first.close()
    restarted = Replica(db_url, schedule, clock, log, "b")
    await drive(restarted, clock, local(date(2026, 3, 30), 8, 0))
    restarted.close()
    clock.current = local(date(2026, 3, 30), 10, 40)  # down over the send time, back in grace
    back = Replica(db_url, schedule, clock, log, "c")
    await drive(back, clock, local(date(2026, 3, 31), 8, 0))
    back.close()
    clock.current = local(date(2026, 3, 31), 15, 30)  # down past the whole grace window
    late = Replica(db_url, schedule, clock, log, "d")
    await drive(late, clock, local(date(2026, 4, 1), 12, 0))
    late.close()

    sends = Counter((key, day) for key, day, _ in log)
    covered = [date(2026, 3, d) for d in (26, 27, 28, 29)] + [date(2026, 3, 31)]
    assert sends == Counter({(t.key, day): 1 for t in TARGETS for day in covered})
    sent_at = {day: at for _, day, at in log}
    assert sent_at[date(2026, 3, 27)] == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)  # 09:00 CET
    assert sent_at[date(2026, 3, 28)] == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert sent_at[date(2026, 3, 29)] == datetime(2026, 3, 30, 8, 40, tzinfo=UTC)  # caught up
    assert date(2026, 3, 30) not in sent_at  # 31 March's digest: missed beyond grace


@pytest.mark.parametrize(
    ("day", "sent"),
    [
        # 02:30 does not exist on 29 March: the digest goes out once, at 03:30 CEST.
        pytest.param(date(2026, 3, 29), datetime(2026, 3, 29, 1, 30, tzinfo=UTC), id="gap"),
        # 02:30 happens twice on 25 October: the digest goes out once, at the first.
        pytest.param(date(2026, 10, 25), datetime(2026, 10, 25, 0, 30, tzinfo=UTC), id="fold"),
    ],
)
async def test_a_send_time_inside_a_dst_change_still_sends_once(
    db_url: str, day: date, sent: datetime
) -> None:
    log: list[tuple[str, date, datetime]] = []
    clock = FakeClock(local(day - timedelta(days=1), 0))
    replica = Replica(db_url, plan(time(2, 30)), clock, log, "a")
    await drive(replica, clock, local(day + timedelta(days=1), 0))
    replica.close()

    on_the_day = [(key, at) for key, covered, at in log if covered == day - timedelta(days=1)]
    assert sorted(on_the_day) == sorted((t.key, sent) for t in TARGETS)


async def test_three_replicas_on_one_database_send_each_digest_once(db_url: str) -> None:
    log: list[tuple[str, date, datetime]] = []
    clock = FakeClock(local(date(2026, 3, 9), 8, 50))
    replicas = [Replica(db_url, plan(time(9, 0)), clock, log, name) for name in "abc"]
    for _ in range(6):
        await asyncio.gather(*(r.runner.run_pending() for r in replicas))
        clock.advance(minutes=10)
    for replica in replicas:
        replica.close()

    assert Counter(key for key, _, _ in log) == Counter({t.key: 1 for t in TARGETS})


async def test_a_failed_send_is_retried_on_the_next_beat_and_only_that_target(
    db_url: str,
) -> None:
    log: list[tuple[str, date, datetime]] = []
    clock = FakeClock(local(date(2026, 3, 9), 9, 0))
    replica = Replica(db_url, plan(time(9, 0)), clock, log, "a")
    replica.publishers[Platform.TEAMS].fail_next = 1
    await replica.runner.run_pending()
    clock.advance(minutes=1)
    await replica.runner.run_pending()
    await replica.runner.run_pending()
    replica.close()

    assert Counter(key for key, _, _ in log) == Counter({t.key: 1 for t in TARGETS})
    teams_channel = next(at for key, _, at in log if key == TARGETS[1].key)
    assert teams_channel == local(date(2026, 3, 9), 9, 1)


async def test_the_running_server_loop_sends_a_missed_digest_at_start_then_stops(
    db_url: str,
) -> None:
    log: list[tuple[str, date, datetime]] = []
    clock = FakeClock(local(date(2026, 3, 9), 11, 0))  # started two hours after the send time
    replica = Replica(db_url, plan(time(9, 0)), clock, log, "a")
    running = asyncio.create_task(replica.runner.run())
    await eventually(lambda: len(log) == len(TARGETS))
    replica.runner.stop()
    await asyncio.wait_for(running, PATIENCE)
    replica.close()

    assert sorted(key for key, _, _ in log) == sorted(t.key for t in TARGETS)


async def crash_mid_send(db_url: str, clock: FakeClock, log: list) -> None:
    """Replica "a" sends the 09:00 digest and dies while the Teams channel's send is in flight:
    the Slack channel has had it, the executives' direct messages are still to go."""
    crashed = Replica(db_url, plan(time(9, 0)), clock, log, "a")
    crashed.publishers[Platform.TEAMS].hang_on = TARGETS[1].key
    beat = asyncio.create_task(crashed.runner.run_pending())
    await asyncio.wait_for(crashed.publishers[Platform.TEAMS].in_flight.wait(), PATIENCE)
    beat.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await beat
    crashed.close()
    assert [key for key, _, _ in log] == [TARGETS[0].key]


async def test_a_restart_inside_the_grace_window_sends_what_a_crash_left_once(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[tuple[str, date, datetime]] = []
    clock = FakeClock(local(date(2026, 3, 9), 9, 0))
    await crash_mid_send(db_url, clock, log)

    clock.advance(minutes=30)
    restarted = Replica(db_url, plan(time(9, 0)), clock, log, "b")
    with caplog.at_level(logging.INFO, logger="bot.digest"):
        for _ in range(3):
            await restarted.runner.run_pending()
            clock.advance(minutes=10)
    restarted.close()

    # The Teams channel's send may have landed before the crash: never sent a second time.
    expected = {TARGETS[0].key: 1, TARGETS[2].key: 1, TARGETS[3].key: 1}
    assert Counter(key for key, _, _ in log) == Counter(expected)
    assert [at for key, _, at in log if key != TARGETS[0].key] == [
        local(date(2026, 3, 9), 9, 30)
    ] * 2
    unsure = [r.getMessage() for r in caplog.records if r.getMessage().startswith("digest.unsure")]
    assert unsure == [
        f"digest.unsure target={TARGETS[1].key} day=2026-03-09 owner=a: sent elsewhere now, "
        "or its process stopped mid-send; not sent again"
    ]


async def test_past_the_grace_window_what_a_crash_left_is_skipped_and_logged(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    log: list[tuple[str, date, datetime]] = []
    clock = FakeClock(local(date(2026, 3, 9), 9, 0))
    await crash_mid_send(db_url, clock, log)

    clock.current = local(date(2026, 3, 9), 15, 30)  # the six hours' grace ended at 15:00
    late = Replica(db_url, plan(time(9, 0)), clock, log, "b")
    with caplog.at_level(logging.WARNING, logger="bot.digest"):
        await late.runner.run_pending()
        await late.runner.run_pending()
    late.close()

    assert [key for key, _, _ in log] == [TARGETS[0].key]
    skipped = [r.getMessage() for r in caplog.records if "day=2026-03-09" in r.getMessage()]
    assert skipped == [
        f"digest.skipped day=2026-03-09 targets={TARGETS[2].key},{TARGETS[3].key} "
        "reason=grace-window-over hours=6.0"
    ]
