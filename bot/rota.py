"""The all-hands rota: who is on support now, who is next, and whose shift just began."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.admin.configure import CachedSetting
from bot.admin.schemas import RotaConfig, Shift, Weekday
from bot.domain import State
from bot.errors import DeliveryError
from bot.ports.chat import QueueMessenger
from bot.ports.records import ListFilter
from bot.ports.store import Store
from bot.privacy.sensitive import outside
from bot.privacy.shown import masked_item, stored_masker

log = logging.getLogger(__name__)

_DAYS = list(Weekday)


@dataclass(frozen=True, slots=True)
class ShiftTime:
    """One shift on one calendar date, in the company's time zone."""

    shift: Shift
    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        """Names this occurrence, so its start is announced once."""
        return (
            f"{self.start.date().isoformat()}:{self.shift.start:%H%M}:{','.join(self.shift.emails)}"
        )


def _on(day: date, shift: Shift, zone: ZoneInfo) -> ShiftTime:
    start = datetime.combine(day, shift.start, zone)
    end = datetime.combine(day, shift.end, zone)
    if end <= start:  # a night shift ends the next day
        end = datetime.combine(day + timedelta(days=1), shift.end, zone)
    return ShiftTime(shift, start, end)


def occurrences(config: RotaConfig, around: datetime, zone: ZoneInfo) -> list[ShiftTime]:
    """Every shift from yesterday to a week ahead of `around`, in start order."""
    today = around.astimezone(zone).date()
    found = [
        _on(today + timedelta(days=offset), shift, zone)
        for offset in range(-1, 8)
        for shift in config.shifts
        if _DAYS[(today + timedelta(days=offset)).weekday()] is shift.day
    ]
    return sorted(found, key=lambda s: s.start)


def on_now(config: RotaConfig, now: datetime, zone: ZoneInfo) -> list[ShiftTime]:
    return [s for s in occurrences(config, now, zone) if s.start <= now < s.end]


def next_up(config: RotaConfig, now: datetime, zone: ZoneInfo) -> ShiftTime | None:
    return next((s for s in occurrences(config, now, zone) if s.start > now), None)


def started_within(
    config: RotaConfig, now: datetime, zone: ZoneInfo, window: timedelta
) -> list[ShiftTime]:
    """Shifts that began in the last `window` (so a late scheduler tick still announces them)."""
    return [s for s in occurrences(config, now, zone) if now - window <= s.start <= now < s.end]


ANNOUNCE_WINDOW = timedelta(minutes=15)
QUEUE_SHOWN = 10


class RotaJob:
    """At each shift's start, the people on it get the open queue with Claim buttons, once."""

    def __init__(
        self,
        db: Store,
        zone: Callable[[], ZoneInfo],
        messengers: Sequence[QueueMessenger],
        owner: str,
    ) -> None:
        self._db = db
        self._zone = zone
        self._messengers = list(messengers)
        self._owner = owner
        self._rota = CachedSetting(db, "rota")

    async def run_due(self, now: datetime) -> None:
        config = self._rota.value()
        assert isinstance(config, RotaConfig)
        for shift in started_within(config, now, self._zone(), ANNOUNCE_WINDOW):
            for email in shift.shift.emails:
                if await asyncio.to_thread(self._claim, f"{shift.key}:{email}", now):
                    await self._announce(email, shift, now)

    def _claim(self, key: str, now: datetime) -> bool:
        with self._db.write() as uow:
            claimed = uow.jobs.claim_run("rota", key, self._owner, now)
            uow.commit()
            return claimed

    async def _announce(self, email: str, shift: ShiftTime, now: datetime) -> None:
        with self._db.read() as uow:
            found = uow.feedback.find(
                ListFilter(state=State.OPEN, oldest_first=True, limit=QUEUE_SHOWN)
            )
            masker = stored_masker(uow)
        items = [outside(masked_item(item, masker)) for item in found]
        intro = f"Your All Hands support shift starts now, until {shift.end:%H:%M}. " + (
            "Here is the open queue, oldest first:" if items else "The queue is empty right now."
        )
        for messenger in self._messengers:
            try:
                await messenger.send_queue(email, intro, items)
            except DeliveryError as error:
                log.warning("rota.dm_failed platform=%s error=%s", messenger.platform.value, error)
