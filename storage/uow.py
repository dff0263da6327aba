"""The SQL store: units of work (one transaction, the repositories sharing it, what runs after
commit), wake-up signals across processes, and the schema. Implements `bot.ports.store`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import TracebackType
from typing import Any, Self

from sqlalchemy import URL, Engine
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.errors import DatabaseUnavailable, SetupError
from storage import db
from storage.repositories.cards import CardRepository
from storage.repositories.config import ConfigRepository
from storage.repositories.conversations import ConversationRepository
from storage.repositories.digest import DigestQueries
from storage.repositories.erasures import ErasureRepository
from storage.repositories.events import EventRepository
from storage.repositories.feedback import FeedbackRepository
from storage.repositories.floods import FloodRepository
from storage.repositories.inbox import InboxRepository
from storage.repositories.jobs import JobRepository
from storage.repositories.links import LinkRepository, TrackerRepository
from storage.repositories.mailboxes import MailboxRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.people import PeopleRepository
from storage.repositories.privacy import PersonalDataRepository
from storage.repositories.rate_buckets import RateBucketRepository
from storage.repositories.repeats import RepeatRepository
from storage.repositories.replies import ReplyRepository
from storage.repositories.search import SearchRepository
from storage.repositories.sources import SourceRepository
from storage.repositories.spikes import SpikeRepository
from storage.repositories.tokens import TokenRepository
from storage.repositories.vectors import VectorRepository
from storage.signals import INBOX, OUTBOX, SignalListener, signal


class SqlUnitOfWork:
    """`with uow:` opens a transaction; `commit()` ends it; leaving without commit rolls back."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        writer_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._sessions = sessions
        self._writer_lock = writer_lock or nullcontext()
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> Self:
        self._writer_lock.__enter__()
        self.session = self._sessions()
        self.people = PeopleRepository(self.session)
        self.links = LinkRepository(self.session)
        self.trackers = TrackerRepository(self.session)
        self.feedback = FeedbackRepository(self.session, self.people, self.links)
        self.events = EventRepository(self.session, self.people)
        self.cards = CardRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.floods = FloodRepository(self.session)
        self.tokens = TokenRepository(self.session)
        self.rate_buckets = RateBucketRepository(self.session)
        self.jobs = JobRepository(self.session)
        self.inbox = InboxRepository(self.session)
        self.config = ConfigRepository(self.session, self.people)
        self.conversations = ConversationRepository(self.session)
        self.digest = DigestQueries(self.session)
        self.sources = SourceRepository(self.session)
        self.mailboxes = MailboxRepository(self.session)
        self.vectors = VectorRepository(self.session)
        self.search = SearchRepository(self.session)
        self.replies = ReplyRepository(self.session, self.people)
        self.spikes = SpikeRepository(self.session)
        self.personal_data = PersonalDataRepository(self.session)
        self.erasures = ErasureRepository(self.session)
        self.repeats = RepeatRepository(self.session)
        self._after_commit = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
            self.session.close()
        finally:
            self._writer_lock.__exit__(None, None, None)
        if isinstance(exc, OperationalError | InterfaceError):
            raise DatabaseUnavailable(type(exc.orig).__name__) from exc

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        if self.inbox.recorded:
            signal(self.session, INBOX)
        if self.outbox.enqueued:
            signal(self.session, OUTBOX)
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


class SqlStore:
    """Hands out units of work; `read()` ones skip SQLite's write lock.

    SQLite admits one writer at a time and makes the others poll with growing sleeps, which
    turns a burst of concurrent writes into long tails; so this process's SQLite writers
    queue on a plain lock instead and SQLite's busy timeout only arbitrates between processes.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = db.session_factory(engine)
        self._reader = db.session_factory(engine.execution_options(**{db.READ_ONLY: True}))
        self._writer_lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    @classmethod
    def connect(cls, url: str) -> SqlStore:
        try:
            return cls(db.create_db_engine(url))
        except (ArgumentError, ValueError) as error:  # e.g. a port that is not a number
            reason = str(error).splitlines()[0]
            raise SetupError(
                f"the database URL cannot be used ({reason}): set ALLHANDS_DATABASE_URL to "
                "sqlite:///PATH or postgresql://USER:PASS@HOST/DB"
            ) from None

    def write(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._writer, self._writer_lock)

    def read(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._reader)

    def listener(
        self, *, inbox: Callable[[], None], outbox: Callable[[], None]
    ) -> SignalListener | None:
        """A thread that calls `inbox` or `outbox` when another process stores such work;
        None where the database cannot signal (SQLite: workers poll)."""
        if self.engine.dialect.name != "postgresql":
            return None
        return SignalListener(self.engine, {INBOX: inbox, OUTBOX: outbox})

    def schema_problem(self) -> str | None:
        with self._reaching():
            return db.schema_problem(self.engine)

    def upgrade(self) -> None:
        with self._reaching():
            db.upgrade(self.engine.url.render_as_string(hide_password=False))

    def revision(self) -> str | None:
        with self._reaching():
            return db.current_revision(self.engine)

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        """The schema check is what meets a database that is down first, at every start:
        name where it was looked for and the driver's reason, in one line."""
        try:
            yield
        except (OperationalError, InterfaceError) as error:
            raise DatabaseUnavailable(unreachable(self.engine.url, error)) from error

    def head(self) -> str | None:
        return db.head_revision()

    def close(self) -> None:
        self.engine.dispose()


def unreachable(url: URL, error: OperationalError | InterfaceError) -> str:
    """`HOST:PORT/DB: reason` (never the password), the reason being the end of the driver's
    first line: "Connection refused", "password authentication failed for user …"."""
    if url.get_backend_name() == "sqlite":
        where = url.database or "memory"
    else:
        where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    lines = str(error.orig).strip().splitlines() or [type(error.orig).__name__]
    return f"{where}: {lines[0].rsplit(': ', 1)[-1].strip()}"
