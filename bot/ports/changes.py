"""Committed changes, told to whoever listens (the outbox, metrics, the log) after commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain import EventKind


@dataclass(frozen=True, slots=True)
class Change:
    """A committed change to one item, as the event log recorded it."""

    feedback_id: int
    event_id: int
    kind: EventKind
    outbound: bool = False  # the change queued messages for the outbox to send


class ChangeListener(Protocol):
    """Told after every committed change (never before: a rollback must not reach chat)."""

    def item_changed(self, change: Change) -> None: ...
