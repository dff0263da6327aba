"""Spike alerts: one message per spike in the leads' channels, updated in place as it grows.

The scheduler runs `SpikeWatch` on every beat of every replica. Today's items are counted per
tag and per source (`bot.signal.spikes` says what is unusual); the trailing month is read only
when a count could be a spike, once a day. The first replica to insert the day's alert row
posts it (one outbox message per channel); later beats that see a higher count raise it with
one guarded update and queue an update of every copy. The outbox sends both in order per
channel (429-safe, after crashes), and `SpikeAlerts` renders each from the alert as it is now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.digest.live import LiveDigestSettings
from bot.domain import Platform, ref_for
from bot.ports.chat import PostedCard
from bot.ports.records import OutboxAction, OutboxMessage
from bot.ports.spikes import AlertCopy, AlertPoster, SpikeAlert, SpikeNotice
from bot.ports.store import Store, UnitOfWork
from bot.privacy.masking import Masker
from bot.privacy.shown import Privacy
from bot.signal.spikes import (
    TAG,
    TRAILING_DAYS,
    Key,
    Spike,
    candidates,
    daily_history,
    day_start,
    spikes,
    today_counts,
    trailing_window,
)

log = logging.getLogger(__name__)

ALERT_ACTIONS = frozenset({OutboxAction.POST_ALERT, OutboxAction.UPDATE_ALERT})
QUOTE_CHARS = 200

Channels = Callable[[], Sequence[tuple[Platform, str]]]


def leads_channels(settings: Settings, digest: LiveDigestSettings) -> Channels:
    """Where alerts go: the spike channels the environment names, else the digest's channels
    as leads set them now."""

    def channels() -> list[tuple[Platform, str]]:
        chosen = settings.spike_channels
        return chosen or [(t.platform, t.address) for t in digest.targets() if not t.person]

    return channels


class SpikeWatch:
    """The scheduler's hook: looks for spikes on every beat."""

    def __init__(self, db: Store, zone: Callable[[], ZoneInfo], channels: Channels) -> None:
        self._db = db
        self._zone = zone
        self._channels = channels
        self._history: tuple[date, dict[Key, list[int]]] | None = None

    async def run_due(self, now: datetime) -> None:
        await asyncio.to_thread(self.run, now)

    def run(self, now: datetime) -> int:
        """Alert on today's spikes; returns how many alerts this call opened or raised."""
        zone = self._zone()
        day = now.astimezone(zone).date()
        with self._db.read() as uow:
            arrivals = uow.spikes.arrivals(day_start(day, zone), day_start(day, zone) + _DAY)
        counts, newest = today_counts(arrivals)
        if not candidates(counts):
            return 0
        found = spikes(counts, newest, self._trailing(day, zone))
        if not found:
            return 0
        changed = 0
        with self._db.write() as uow:
            known = {(a.dimension, a.key): a for a in uow.spikes.alerts_on(day)}
            for spike in found:
                alert = known.get(spike.key)
                if alert is None:
                    changed += self._open(uow, spike, day, now)
                elif spike.count > alert.count:
                    changed += self._raise(uow, alert, spike, now)
            uow.commit()
        return changed

    def _trailing(self, day: date, zone: ZoneInfo) -> dict[Key, list[int]]:
        """The trailing days' counts, read once a day (they no longer change)."""
        if self._history is None or self._history[0] != day:
            since, until = trailing_window(day, zone)
            with self._db.read() as uow:
                arrivals = uow.spikes.arrivals(since, until)
            first = day - timedelta(days=TRAILING_DAYS)
            self._history = (day, daily_history(arrivals, first, zone))
        return self._history[1]

    def _open(self, uow: UnitOfWork, spike: Spike, day: date, now: datetime) -> int:
        dimension, key = spike.key
        alert = SpikeAlert(
            0,
            dimension,
            key,
            day,
            spike.count,
            spike.baseline.usual,
            spike.baseline.threshold,
            spike.newest_id,
        )
        alert_id = uow.spikes.open_alert(alert, now)
        if alert_id is None:
            return 0  # another replica opened it: it posts, and a later beat raises it
        for platform, channel in self._channels():
            copy_id = uow.spikes.add_copy(alert_id, platform, channel, now)
            payload = {"copy_id": copy_id}
            uow.outbox.enqueue(platform, channel, OutboxAction.POST_ALERT, None, payload, now)
        log.info("spike.opened dimension=%s count=%s", dimension, spike.count)
        return 1

    def _raise(self, uow: UnitOfWork, alert: SpikeAlert, spike: Spike, now: datetime) -> int:
        if not uow.spikes.grow(alert.id, spike.count, spike.newest_id, now):
            return 0  # another replica raised it as far already
        for copy in uow.spikes.copies(alert.id):
            payload = {"copy_id": copy.id}
            action = OutboxAction.UPDATE_ALERT
            uow.outbox.enqueue(copy.platform, copy.channel, action, None, payload, now)
        return 1


_DAY = timedelta(days=1)


class SpikeAlerts:
    """The outbox's side: posts or updates one copy of an alert, rendered as it is now."""

    def __init__(self, db: Store, posters: Mapping[Platform, AlertPoster], privacy: Privacy):
        self._db = db
        self._posters = dict(posters)
        self._privacy = privacy

    async def send(self, message: OutboxMessage, *, retry: bool) -> None:
        poster = self._posters.get(message.platform)
        read = await asyncio.to_thread(self._read, int(message.payload["copy_id"]))
        if poster is None or read is None:
            log.warning("spike.unsendable id=%s platform=%s", message.id, message.platform)
            return
        copy, notice = read
        if message.action == OutboxAction.POST_ALERT:
            if copy.message_id is None:
                key = f"allhands-spike-{copy.id}"
                posted = await poster.post_alert(copy, notice, key, retry=retry)
                await asyncio.to_thread(self._posted, copy.id, posted)
        elif copy.message_id is not None:  # not posted yet: its post shows the current count
            await poster.update_alert(copy, notice)

    def _read(self, copy_id: int) -> tuple[AlertCopy, SpikeNotice] | None:
        with self._db.read() as uow:
            copy = uow.spikes.copy(copy_id)
            alert = uow.spikes.alert(copy.alert_id) if copy else None
            if copy is None or alert is None:
                return None
            newest = uow.feedback.get(alert.newest_id) if alert.newest_id else None
            # a sensitive item's words stay in its restricted channel: no quote of it here
            quote = newest.body if newest and newest.sensitive_rule is None else None
        return copy, spike_notice(alert, quote, self._privacy.masker())

    def _posted(self, copy_id: int, posted: PostedCard) -> None:
        with self._db.write() as uow:
            uow.spikes.mark_posted(copy_id, posted.message_id, posted.extra)
            uow.commit()


def spike_notice(alert: SpikeAlert, newest_quote: str | None, masker: Masker) -> SpikeNotice:
    """What an alert says: its key and the newest item's words masked, the quote cut short."""
    key = masker.mask(alert.key)
    what = f"tagged #{key}" if alert.dimension == TAG else f"from {key}"
    lines = [
        f"Usually {alert.usual:.1f} a day over the last {TRAILING_DAYS} days; "
        f"{alert.threshold} or more in a day is a spike.",
    ]
    if newest_quote is not None and alert.newest_id is not None:
        quote = " ".join(masker.mask(newest_quote).split())
        if len(quote) > QUOTE_CHARS:
            quote = quote[: QUOTE_CHARS - 1] + "…"
        lines.append(f"Newest: {ref_for(alert.newest_id)} — “{quote}”")
    return SpikeNotice(f"📈 Spike: {alert.count} items {what} today", tuple(lines))
