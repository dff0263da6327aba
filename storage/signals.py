"""Wake-ups across processes: PostgreSQL's LISTEN/NOTIFY.

A worker in this process is woken directly when work is stored; a worker in another process
(`allhands work`, another replica) would only see it at its next poll. On PostgreSQL a
transaction that stores work also signals it, delivered when (and only if) it commits, and a
`SignalListener` thread in each working process wakes its workers. SQLite has no such thing:
its workers poll, which is one more reason to run one process on it. A missed signal costs
a poll interval, never work: the rows are the truth, the signal only says "look now".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, cast

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

INBOX = "allhands_inbox"
OUTBOX = "allhands_outbox"

RECONNECT_SECONDS = 2.0
CHECK_STOP_SECONDS = 1.0


def signal(session: Session, channel: str) -> None:
    """Signal `channel` when this transaction commits (PostgreSQL only; a no-op elsewhere)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class SignalListener:
    """Calls `wakes[channel]()` from its own thread for every signal on that channel.

    The callbacks must be thread-safe. It holds one connection of its own while running and
    reconnects after the database goes away.
    """

    def __init__(self, engine: Engine, wakes: Mapping[str, Callable[[], None]]) -> None:
        self._engine = engine
        self._wakes = dict(wakes)
        self._stopping = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="signal-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=CHECK_STOP_SECONDS * 3)

    def wait_listening(self, timeout: float) -> bool:
        """Whether the listener has subscribed (signals sent before that are not seen)."""
        return self._listening.wait(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception as error:  # the database went away: workers poll meanwhile
                self._listening.clear()
                log.warning("signals.disconnected error=%s", type(error).__name__)
                self._stopping.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        pooled = self._engine.raw_connection()
        try:
            connection = cast(psycopg.Connection[Any], pooled.driver_connection)
            connection.autocommit = True
            for channel in self._wakes:
                connection.execute(f'LISTEN "{channel}"')
            self._listening.set()
            while not self._stopping.is_set():
                for notice in connection.notifies(timeout=CHECK_STOP_SECONDS):
                    self._wakes[notice.channel]()
        finally:
            pooled.invalidate()  # never hand a listening, autocommitting connection back
