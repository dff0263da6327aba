"""What is still waiting in the outbox, and waiting until it has all gone out."""

from __future__ import annotations

from bot.ports.store import Store
from tests.support.eventually import eventually


def pending(db: Store) -> int:
    """Outbox messages not yet sent (or given up on)."""
    with db.read() as uow:
        return uow.outbox.pending()


async def settle(db: Store) -> None:
    """Wait until the running outbox has sent everything the last changes asked for."""
    await eventually(lambda: pending(db) == 0, what="the outbox to drain")
