"""When digests go out and which stretch of time each one covers, in the company time zone.

A digest sent on day D covers every full local day since the previous digest day: from local
midnight of the previous scheduled day to local midnight of D. With the default mon-fri
schedule that is "yesterday" on Tuesday to Friday, and Friday-to-Sunday on Monday: the
weekend, plus the Friday that Friday's own digest (covering Thursday) could not yet see. So no
day is ever reported twice or skipped. Midnights are computed per day with `zoneinfo`, so a
period that spans a DST change is 23 or 25 hours long, as the calendar says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def check_zone(name: str) -> str:
    """An IANA time zone name, or ValueError with a line a person can act on."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone name, e.g. Europe/Berlin") from None
    return name


def parse_weekdays(value: str) -> frozenset[int]:
    """ "mon-fri", "mon,wed,fri", "sat-mon" → weekday numbers (Monday is 0)."""
    days: set[int] = set()
    for part in (part.strip().lower() for part in value.split(",") if part.strip()):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"'{part}' is not a day or range like mon-fri")
        start = WEEKDAYS.index(first)
        span = (WEEKDAYS.index(last) - start) % 7 if last else 0
        days.update((start + offset) % 7 for offset in range(span + 1))
    if not days:
        raise ValueError("name at least one day, e.g. mon-fri")
    return frozenset(days)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local calendar day starts."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """The schedule and presentation choices, from Settings (see `bot.config`)."""

    zone: ZoneInfo
    send_at: time
    weekdays: frozenset[int]
    grace: timedelta
    mask_customers: bool = True

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()

    def previous_digest_day(self, day: date) -> date:
        """The last scheduled day before `day` (a week back at most)."""
        for back in range(1, 8):
            candidate = day - timedelta(days=back)
            if candidate.weekday() in self.weekdays:
                return candidate
        raise AssertionError("a plan always has at least one weekday")

    def send_time(self, day: date) -> datetime:
        """When the digest of local `day` is due, as a UTC instant.

        A wall time that does not exist that day (inside a spring-forward gap) resolves to the
        same offset as just before the gap, so it still happens once, a little later.
        """
        return datetime.combine(day, self.send_at, tzinfo=self.zone).astimezone(UTC)

    def due(self, now: datetime) -> list[date]:
        """Digest days whose send time has come and whose grace window has not yet passed."""
        today = self.today(now)
        candidates = [today - timedelta(days=1), today]
        return [
            day
            for day in candidates
            if day.weekday() in self.weekdays
            and self.send_time(day) <= now < self.send_time(day) + self.grace
        ]

    def past_grace(self, now: datetime) -> list[date]:
        """Digest days (yesterday's and today's) whose grace window is over: never sent now."""
        today = self.today(now)
        return [
            day
            for day in (today - timedelta(days=1), today)
            if day.weekday() in self.weekdays and self.send_time(day) + self.grace <= now
        ]

    def period(self, digest_day: date) -> Period:
        first = self.previous_digest_day(digest_day)
        return Period(
            first_day=first,
            last_day=digest_day - timedelta(days=1),
            start=local_midnight(first, self.zone),
            end=local_midnight(digest_day, self.zone),
            zone=self.zone.key,
        )


@dataclass(frozen=True, slots=True)
class Period:
    """The local days [first_day, last_day] a digest covers, and their UTC bounds [start, end)."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime
    zone: str

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def label(self) -> str:
        """ "Tuesday 3 March", or "Friday 6 to Sunday 8 March" for several days."""
        last = f"{self.last_day:%A} {self.last_day.day} {self.last_day:%B}"
        if self.days == 1:
            return last
        first = f"{self.first_day:%A} {self.first_day.day}"
        if self.first_day.month != self.last_day.month:
            first += f" {self.first_day:%B}"
        return f"{first} to {last}"

    @property
    def phrase(self) -> str:
        """ "on Tuesday 3 March", or "from Friday 6 to Sunday 8 March": the label in a sentence."""
        return f"{'on' if self.days == 1 else 'from'} {self.label}"
