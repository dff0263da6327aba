"""Change listeners that need no chat platform: a log line, and fan-out to several listeners."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.ports.changes import Change, ChangeListener

log = logging.getLogger("allhands.changes")


class LogChanges:
    """Logs every committed change; the listener dev mode runs when no chat platform is on."""

    def item_changed(self, change: Change) -> None:
        log.info("feedback.changed ref=FB-%s event=%s", change.feedback_id, change.event_id)


class Broadcast:
    """Tells every listener; one listener's failure does not silence the others."""

    def __init__(self, listeners: Sequence[ChangeListener]) -> None:
        self._listeners = list(listeners)

    def add(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def item_changed(self, change: Change) -> None:
        for listener in self._listeners:
            try:
                listener.item_changed(change)
            except Exception:
                log.exception("listener.failed listener=%s", type(listener).__name__)
