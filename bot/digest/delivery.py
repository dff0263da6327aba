"""Sends one day's digest to its targets, each exactly once across every replica.

Progress is kept per target in `job_runs` (job "digest", key "DATE:TARGET"). The digest is built
first; then each target in turn is claimed, sent and marked finished, so a process that dies
part-way leaves the targets after it unclaimed, and the next heartbeat of any replica (or of the
restarted process), still inside the grace window, sends them. Only the replica whose insert won
sends. A failed send gives the row back, so the next heartbeat tries again. The one target whose
send was in flight when its process died keeps its unfinished claim: it may have landed, so it
is never sent again rather than risk a second copy (`digest.unsure` in the log says which).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.digest.build import build_digest
from bot.digest.chart import render_chart
from bot.digest.fixes import IssueValues
from bot.digest.model import Chart, Digest
from bot.digest.period import DigestPlan
from bot.domain import Platform
from bot.errors import DeliveryError, Invalid
from bot.metrics import DIGEST_SENDS, count_rate_limited
from bot.ports.chat import DigestPublisher
from bot.ports.clock import Clock
from bot.ports.store import Store

log = logging.getLogger(__name__)

JOB = "digest"
CHAT_PLATFORMS = (Platform.SLACK, Platform.TEAMS)


@dataclass(frozen=True, slots=True)
class Target:
    """A channel on one platform, or a person (by email) to message directly there."""

    platform: Platform
    address: str
    person: bool = False

    @property
    def key(self) -> str:
        return f"{self.platform.value}:{'dm:' if self.person else ''}{self.address}"

    @staticmethod
    def parse(text: str) -> list[Target]:
        """`slack:C123`, `teams:19:abc@thread.tacv2`, or an email (a DM on both platforms)."""
        text = text.strip()
        platform, _, address = text.partition(":")
        if platform in (Platform.SLACK, Platform.TEAMS) and address:
            return [Target(Platform(platform), address)]
        if "@" in text and ":" not in text:
            return [Target(p, text.lower(), person=True) for p in CHAT_PLATFORMS]
        raise Invalid(f"'{text}' is not slack:CHANNEL, teams:CONVERSATION or an email", "to")


@dataclass(frozen=True, slots=True)
class Delivery:
    target: Target
    status: str  # sent, already sent, failed, unknown person, platform off


class DigestSender:
    def __init__(
        self,
        db: Store,
        publishers: Mapping[Platform, DigestPublisher],
        plan: DigestPlan,
        clock: Clock,
        owner: str,
        values: IssueValues | None = None,
    ) -> None:
        """`values` adds the open issues' account values (when the customer look-up is on)."""
        self._db = db
        self._values = values
        self._publishers = dict(publishers)
        self._plan = plan
        self._clock = clock
        self._owner = owner

    async def send(
        self, day: date, targets: Sequence[Target], *, force: bool = False
    ) -> list[Delivery]:
        """Send the digest of local `day` to every target not yet served (all with `force`)."""
        status = {t: "platform off" for t in targets if t.platform not in self._publishers}
        reachable = [t for t in targets if t not in status]
        waiting = reachable if force else await asyncio.to_thread(self.unserved, day, reachable)
        status |= {t: "already sent" for t in reachable if t not in waiting}
        if waiting:
            digest = await asyncio.to_thread(
                build_digest, self._db, self._plan, day, self._clock.now()
            )
            if self._values is not None:
                digest = replace(digest, fixes=await self._values.weighed(digest.fixes))
            chart = await asyncio.to_thread(render_chart, digest)
            for target in waiting:
                if await asyncio.to_thread(self._claim, day, target) or force:
                    status[target] = await self._deliver(day, target, digest, chart)
                else:
                    status[target] = "already sent"
        return [Delivery(target, status[target]) for target in targets]

    def unserved(self, day: date, targets: Sequence[Target]) -> list[Target]:
        """The targets on a platform that is on that nobody has claimed `day`'s digest for; says
        which claims were left unfinished by another process (sending now, or stopped mid-send)."""
        on = [target for target in targets if target.platform in self._publishers]
        keys = {_key(day, target): target for target in on}
        with self._db.read() as uow:
            claims = uow.jobs.claims(JOB, keys)
        for claim in claims:
            if not claim.finished and claim.owner != self._owner:
                log.info(
                    "digest.unsure target=%s day=%s owner=%s: sent elsewhere now, or its "
                    "process stopped mid-send; not sent again",
                    keys[claim.key].key,
                    day,
                    claim.owner,
                )
        claimed = {claim.key for claim in claims}
        return [target for key, target in keys.items() if key not in claimed]

    async def _deliver(self, day: date, target: Target, digest: Digest, chart: Chart) -> str:
        publisher = self._publishers[target.platform]
        try:
            if target.person:
                found = await publisher.send_to_person(target.address, digest.brief(), chart)
            else:
                await publisher.post_to_channel(target.address, digest, chart)
                found = True
        except DeliveryError as error:
            log.warning("digest.failed target=%s day=%s error=%s", target.key, day, error)
            if error.rate_limited:
                count_rate_limited(target.platform)
            await asyncio.to_thread(self._release, day, target)
            return "failed"
        await asyncio.to_thread(self._finish, day, target)
        if found:
            DIGEST_SENDS.inc()
        log.info("digest.sent target=%s day=%s found=%s", target.key, day, found)
        return "sent" if found else "unknown person"

    def _claim(self, day: date, target: Target) -> bool:
        with self._db.write() as uow:
            won = uow.jobs.claim_run(JOB, _key(day, target), self._owner, self._clock.now())
            uow.commit()
            return won

    def _finish(self, day: date, target: Target) -> None:
        with self._db.write() as uow:
            uow.jobs.finish_run(JOB, _key(day, target), self._clock.now())
            uow.commit()

    def _release(self, day: date, target: Target) -> None:
        with self._db.write() as uow:
            uow.jobs.release_run(JOB, _key(day, target))
            uow.commit()


def _key(day: date, target: Target) -> str:
    return f"{day.isoformat()}:{target.key}"
