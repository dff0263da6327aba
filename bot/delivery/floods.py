"""A flood from one source is summarised, not posted card by card.

Slack takes about one message per second per channel, so 500 reviews arriving at once would
bury the channel (and every later card) for minutes. Past `threshold` new cards from one source
into one channel within a clock hour, further normal and low items are stored as usual but get
no card there; one summary message per source, channel and hour counts them instead ("412 more
from appstore in the last hour"), posted once and updated in place through the outbox. Urgent
and high items are never held back, and their cards go out ahead of a channel's backlog.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain import Feedback, Platform, Severity
from bot.ports.floods import Flood, FloodKey
from bot.ports.records import OutboxAction
from bot.ports.store import UnitOfWork

PRESSING = frozenset({Severity.URGENT, Severity.HIGH})
URGENT_PRIORITY = 1  # outbox priority of a pressing item's card (and its page)
KEPT_HOURS = 24  # counters older than this are dropped when a new hour's one opens


def card_priority(item: Feedback) -> int:
    return URGENT_PRIORITY if item.severity in PRESSING else 0


class FloodGate:
    """Decides, inside the ingesting transaction, whether a new item's card is shown."""

    def __init__(self, threshold: int) -> None:
        self._threshold = threshold  # 0: no limit

    def admits(
        self, uow: UnitOfWork, item: Feedback, platform: Platform, channel: str, now: datetime
    ) -> bool:
        """Whether `item` gets a card in `channel`; if not, the flood's summary is queued."""
        if self._threshold == 0 or item.severity in PRESSING:
            return True
        key = FloodKey(item.source, platform, channel, _hour(now))
        flood = uow.floods.count_card(key, self._threshold)
        if flood.shown + flood.held == 1:  # the first card of a new hour
            uow.floods.forget_before(key.hour - timedelta(hours=KEPT_HOURS))
        if flood.held == 0:
            return True
        if uow.floods.queue_summary(key):
            payload = {"source": key.source, "hour": key.hour.isoformat()}
            uow.outbox.enqueue(platform, channel, OutboxAction.SUMMARY, None, payload, now)
        return False


def summary_key(platform: Platform, channel: str, payload: dict[str, object]) -> FloodKey:
    """The flood a SUMMARY outbox message stands for."""
    hour = datetime.fromisoformat(str(payload["hour"]))
    return FloodKey(str(payload["source"]), platform, channel, hour)


def summary_text(flood: Flood) -> str:
    """What the summary says: how many, from where, and how to see them."""
    source = flood.key.source
    cards = "card" if flood.shown == 1 else "cards"
    return (
        f"{flood.held} more from {source} in the last hour, not posted one by one "
        f"({flood.shown} {cards} shown above). See them with "
        f"`allhands feedback list --source {source}` or "
        f"`GET /api/v1/feedback?source={source}`."
    )


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)
