"""Nobody should wait unseen: nudge unclaimed items, escalate to the leads, remind claimers.

Run periodically by the scheduler on every replica; each nudge is recorded once per item and
waiting period (the run key names the event that started the wait), so replicas racing each
other, or a run repeated after a restart, never nudge twice.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.admin.configure import CachedSetting
from bot.admin.schemas import TimeoutsConfig
from bot.domain import EventKind, Feedback, State, holder_name
from bot.ports.records import ListFilter
from bot.service import Desk

ESCALATE_AFTER = 2  # times the claim timeout
SCAN_LIMIT = 500
# Events after which an item waits for someone (again), and after which a claimer is busy.
_WAITING_SINCE = (EventKind.INGESTED, EventKind.REOPENED, EventKind.UNCLAIMED)
_TOUCHED = (EventKind.CLAIMED, EventKind.HANDED_OFF, EventKind.COMMENTED, EventKind.EDITED)


@dataclass(frozen=True, slots=True)
class FollowUp:
    item: Feedback
    kind: EventKind
    since_event: int
    data: dict[str, object]


class Nudger:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._timeouts = CachedSetting(desk.db, "timeouts")

    def run(self) -> int:
        """Record every follow-up that is due now; returns how many this call recorded."""
        recorded = 0
        for follow_up in self.due(self._desk.clock.now()):
            once = (follow_up.kind.value, f"{follow_up.item.id}:{follow_up.since_event}")
            if self._desk.system_note(follow_up.item.id, follow_up.kind, follow_up.data, once):
                recorded += 1
        return recorded

    def due(self, now: datetime) -> list[FollowUp]:
        config = self._timeouts.value()
        assert isinstance(config, TimeoutsConfig)
        with self._desk.db.read() as uow:
            waiting = uow.feedback.find(
                ListFilter(state=State.OPEN, oldest_first=True, limit=SCAN_LIMIT)
            )
            claimed = uow.feedback.find(
                ListFilter(state=State.CLAIMED, oldest_first=True, limit=SCAN_LIMIT)
            )
            since = uow.events.latest([i.id for i in waiting], _WAITING_SINCE)
            touched = uow.events.latest([i.id for i in claimed], _TOUCHED)
            leads = [holder_name(p) for p in uow.people.flagged(leads=True)]
        due: list[FollowUp] = []
        for item in waiting:
            start = since.get(item.id)
            if start is None:
                continue
            limit = timedelta(minutes=config.claim_minutes[item.severity])
            waited = int((now - start.at).total_seconds() // 60)
            if now - start.at >= limit:
                due.append(FollowUp(item, EventKind.NUDGED, start.id, {"minutes": waited}))
            if now - start.at >= limit * ESCALATE_AFTER:
                data: dict[str, object] = {"minutes": waited, "leads": leads}
                due.append(FollowUp(item, EventKind.ESCALATED, start.id, data))
        quiet = timedelta(hours=config.untouched_hours)
        for item in claimed:
            last = touched.get(item.id)
            if last is not None and now - last.at >= quiet and item.claimed is not None:
                hours = int((now - last.at).total_seconds() // 3600)
                holder = holder_name(item.claimed.person)
                due.append(
                    FollowUp(item, EventKind.REMINDED, last.id, {"hours": hours, "holder": holder})
                )
        return due


class NudgeJob:
    """The scheduler's hook: looks for due follow-ups on every beat."""

    def __init__(self, nudger: Nudger) -> None:
        self._nudger = nudger

    async def run_due(self, now: datetime) -> None:
        await asyncio.to_thread(self._nudger.run)
