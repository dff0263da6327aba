"""The digest's schedule and audience as leads set them in chat, over the environment's values.

Read afresh (through a short cache) on every scheduler beat, so a change made in chat applies
on every replica without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.admin.configure import CachedSetting
from bot.admin.schemas import DigestSettings
from bot.config import Settings
from bot.digest.delivery import CHAT_PLATFORMS, DigestSender, Target
from bot.digest.period import DigestPlan, parse_weekdays
from bot.domain import Platform
from bot.ports.store import Store

log = logging.getLogger(__name__)


class LiveDigestSettings:
    def __init__(self, settings: Settings, db: Store) -> None:
        self._settings = settings
        self._db = db
        self._stored = CachedSetting(db, "digest")

    def _values(self) -> DigestSettings:
        stored = self._stored.value()
        assert isinstance(stored, DigestSettings)
        return stored

    def plan(self) -> DigestPlan:
        stored, base = self._values(), self._settings.digest_plan
        return replace(
            base,
            zone=ZoneInfo(stored.timezone) if stored.timezone else base.zone,
            send_at=time.fromisoformat(stored.time) if stored.time else base.send_at,
            weekdays=parse_weekdays(stored.days) if stored.days else base.weekdays,
        )

    def targets(self) -> list[Target]:
        """The digest channels, then every executive (people flagged in the database)."""
        stored = self._values()
        slack = stored.slack_channels or self._settings.digest_slack_channel_ids
        teams = stored.teams_channels or self._settings.digest_teams_channel_ids
        with self._db.read() as uow:
            execs = [p.email for p in uow.people.flagged(execs=True) if p.email]
        return (
            [Target(Platform.SLACK, channel) for channel in slack]
            + [Target(Platform.TEAMS, channel) for channel in teams]
            + [Target(p, email, person=True) for email in execs for p in CHAT_PLATFORMS]
        )


class DigestJob:
    """Sends each due day's digest to every target; remembers days it has fully served, and
    says once which targets a day's digest never reached when its grace window closed."""

    def __init__(self, sender: DigestSender, plan: DigestPlan, targets: Sequence[Target]) -> None:
        self._sender = sender
        self._plan = plan
        self._targets = list(targets)
        self._done: set[date] = set()

    async def run_due(self, now: datetime) -> None:
        for day in self._plan.due(now):
            if day in self._done:
                continue
            results = await self._sender.send(day, self._targets)
            if all(result.status != "failed" for result in results):
                self._done.add(day)
        for day in self._plan.past_grace(now):
            if day not in self._done:
                self._done.add(day)
                missed = await asyncio.to_thread(self._sender.unserved, day, self._targets)
                if missed:
                    log.warning(
                        "digest.skipped day=%s targets=%s reason=grace-window-over hours=%s",
                        day,
                        ",".join(target.key for target in missed),
                        self._plan.grace.total_seconds() / 3600,
                    )


class LiveDigestJob:
    """The scheduler's digest job, rebuilt whenever the leads change schedule or audience."""

    def __init__(
        self, live: LiveDigestSettings, make_sender: Callable[[DigestPlan], DigestSender]
    ) -> None:
        self._live = live
        self._make_sender = make_sender
        self._job: DigestJob | None = None
        self._shape: tuple[DigestPlan, tuple[Target, ...]] | None = None

    async def run_due(self, now: datetime) -> None:
        plan, targets = self._live.plan(), tuple(self._live.targets())
        if self._job is None or self._shape != (plan, targets):
            self._job = DigestJob(self._make_sender(plan), plan, targets)
            self._shape = (plan, targets)
        await self._job.run_due(now)
