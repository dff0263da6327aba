"""Sources we fetch from on a schedule (app stores): each review goes the webhook's way.

A poll asks the vendor for what changed since where the source got to, keeps each review raw
with an id naming its version (`SourceIntake.keep`: an unchanged review is a no-op, an edit is
a new delivery), and only then moves the place on: a poll cut short is asked again, and what
it kept before is not kept twice. The inbox worker applies each delivery as it applies a
webhook's, so `allhands sources replay` works for reviews too.

`PollJob` runs in the scheduler: every `POLL_EVERY`, each source once across every replica (a
`job_runs` claim per source and period). A vendor refusing a poll (an expired key, a revoked
service account) is logged and recorded on the source (`allhands sources list` shows it); the
place stays, so the next period asks again from there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.ports.clock import Clock
from bot.ports.records import PollState
from bot.ports.sources import Polled, PollFailed, SourcePoller
from bot.ports.store import Store
from bot.sources.intake import Incoming, SourceIntake
from bot.sources.kinds import SourceKind
from bot.sources.registry import SourceConfig, SourceRegistry

log = logging.getLogger(__name__)

POLL_EVERY = timedelta(minutes=5)
# A store may list a change a little after its time: each poll asks again for the last hour
# (what was kept is not kept twice).
LOOK_BACK = timedelta(hours=1)
# A new source starts with the last week (all Google Play keeps), not with years of reviews.
FIRST_REACH = timedelta(days=7)
JOB = "source-poll"
CLAIMS_KEPT = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PollReport:
    source: str
    found: int  # what the vendor listed as changed since
    kept: int  # of which new to us
    error: str | None = None


class SourcePolling:
    def __init__(
        self,
        db: Store,
        intake: SourceIntake,
        pollers: Mapping[SourceKind, SourcePoller],
        clock: Clock,
    ) -> None:
        self._db = db
        self._intake = intake
        self._pollers = dict(pollers)
        self._clock = clock

    def polls(self, source: SourceConfig) -> bool:
        return source.kind in self._pollers

    def state(self, name: str) -> PollState | None:
        with self._db.read() as uow:
            return uow.sources.poll_state(name)

    def since(self, state: PollState | None) -> datetime:
        """Where the next poll of a source starts asking from."""
        if state is None or state.reached is None:
            return self._clock.now() - FIRST_REACH
        return state.reached - LOOK_BACK

    async def fetch(self, source: SourceConfig) -> tuple[datetime, list[Polled]]:
        """What the next poll would find, storing nothing (`allhands sources test`)."""
        since = self.since(await asyncio.to_thread(self.state, source.name))
        return since, await self._poller(source).fetch(source, since)

    async def poll(self, source: SourceConfig) -> PollReport:
        """Fetch, keep each raw (the inbox worker applies them), then move the place on."""
        now = self._clock.now()
        try:
            _, found = await self.fetch(source)
        except PollFailed as failed:
            log.warning("sources.poll_failed source=%s reason=%s", source.name, failed.reason)
            await asyncio.to_thread(self._record, source.name, None, now, failed.reason)
            return PollReport(source.name, 0, 0, failed.reason)
        oldest_first = sorted(found, key=lambda polled: polled.changed_at)
        kept = await asyncio.gather(
            *(
                self._intake.keep(
                    Incoming(source.name, polled.event_id, "application/json", {}, polled.body)
                )
                for polled in oldest_first
            )
        )
        new = sum(1 for each in kept if each.delivery_id is not None)
        reached = max((polled.changed_at for polled in found), default=None)
        await asyncio.to_thread(self._record, source.name, reached, now, None)
        log.info("sources.polled source=%s found=%d new=%d", source.name, len(found), new)
        return PollReport(source.name, len(found), new)

    def _poller(self, source: SourceConfig) -> SourcePoller:
        poller = self._pollers.get(source.kind)
        if poller is None:
            raise PollFailed(f"{source.kind} sources are not polled")
        return poller

    def _record(
        self, name: str, reached: datetime | None, now: datetime, error: str | None
    ) -> None:
        with self._db.write() as uow:
            uow.sources.save_poll(name, reached, now, error)
            uow.commit()


class PollJob:
    """The scheduler's job: every `every`, each polled source once across every replica."""

    def __init__(
        self,
        registry: SourceRegistry,
        polling: SourcePolling,
        db: Store,
        clock: Clock,
        owner: str,
        every: timedelta = POLL_EVERY,
    ) -> None:
        self._registry = registry
        self._polling = polling
        self._db = db
        self._clock = clock
        self._owner = owner
        self._every = every

    async def run_due(self, now: datetime) -> None:
        sources = await asyncio.to_thread(self._registry.all)
        period = int(now.timestamp() // self._every.total_seconds())
        claimed = await asyncio.to_thread(self._claim, sources, period, now)
        for source in claimed:
            try:
                await self._polling.poll(source)
            except Exception:  # one source's trouble must not starve the others
                log.exception("sources.poll_crashed source=%s", source.name)
            finally:
                await asyncio.to_thread(self._finish, f"{source.name}:{period}")

    def _claim(
        self, sources: Sequence[SourceConfig], period: int, now: datetime
    ) -> list[SourceConfig]:
        """The polled sources this replica polls in this period (claims older than a day go);
        without any, not a write."""
        polled = [source for source in sources if self._polling.polls(source)]
        if not polled:
            return []
        with self._db.write() as uow:
            uow.jobs.forget_runs(JOB, now - CLAIMS_KEPT)
            claimed = [
                source
                for source in polled
                if uow.jobs.claim_run(JOB, f"{source.name}:{period}", self._owner, now)
            ]
            uow.commit()
        return claimed

    def _finish(self, key: str) -> None:
        with self._db.write() as uow:
            uow.jobs.finish_run(JOB, key, self._clock.now())
            uow.commit()
