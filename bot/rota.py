"""The all-hands rota: who is on support now, who is next, and whose shift just began."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.admin import RotaConfig, Shift, Weekday

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
