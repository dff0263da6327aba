"""How much work waits in the database, for `/metrics` (read at scrape time)."""

from __future__ import annotations

from bot.ports.records import Backlog
from bot.ports.store import Store


def waiting_work(db: Store) -> Backlog:
    """Outbox messages not yet sent (and the oldest one's age), inbox deliveries not handled."""
    with db.read() as uow:
        pending, oldest = uow.outbox.backlog()
        return Backlog(pending, oldest, uow.inbox.pending())
