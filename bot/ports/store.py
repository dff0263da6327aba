"""The database as the core sees it: units of work, wake-ups across processes, the schema.

`storage.uow.SqlStore` implements it; one wiring place (`app.py`) hands it to the core.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from bot.ports.feedback import EventRepository, FeedbackRepository
from bot.ports.floods import FloodRepository
from bot.ports.privacy import ErasureRepository, PersonalDataRepository
from bot.ports.repeats import RepeatRepository
from bot.ports.replies import ReplyRepository
from bot.ports.repositories import (
    CardRepository,
    ConfigRepository,
    ConversationRepository,
    DigestQueries,
    InboxRepository,
    JobRepository,
    LinkRepository,
    MailboxRepository,
    OutboxRepository,
    PeopleRepository,
    RateBucketRepository,
    SourceRepository,
    TokenRepository,
    TrackerRepository,
    VectorRepository,
)
from bot.ports.search import SearchRepository
from bot.ports.spikes import SpikeRepository


class UnitOfWork(Protocol):
    """One transaction and the repositories sharing it.

    `with store.write() as uow:` opens it; `uow.commit()` ends it; leaving without a commit
    rolls back. A database that cannot be reached raises `bot.errors.DatabaseUnavailable`.
    """

    @property
    def people(self) -> PeopleRepository: ...

    @property
    def feedback(self) -> FeedbackRepository: ...

    @property
    def events(self) -> EventRepository: ...

    @property
    def cards(self) -> CardRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def floods(self) -> FloodRepository: ...

    @property
    def inbox(self) -> InboxRepository: ...

    @property
    def tokens(self) -> TokenRepository: ...

    @property
    def rate_buckets(self) -> RateBucketRepository: ...

    @property
    def jobs(self) -> JobRepository: ...

    @property
    def config(self) -> ConfigRepository: ...

    @property
    def conversations(self) -> ConversationRepository: ...

    @property
    def digest(self) -> DigestQueries: ...

    @property
    def sources(self) -> SourceRepository: ...

    @property
    def mailboxes(self) -> MailboxRepository: ...

    @property
    def vectors(self) -> VectorRepository: ...

    @property
    def links(self) -> LinkRepository: ...

    @property
    def trackers(self) -> TrackerRepository: ...

    @property
    def replies(self) -> ReplyRepository: ...

    @property
    def spikes(self) -> SpikeRepository: ...

    @property
    def personal_data(self) -> PersonalDataRepository: ...

    @property
    def erasures(self) -> ErasureRepository: ...

    @property
    def search(self) -> SearchRepository: ...

    @property
    def repeats(self) -> RepeatRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (never if it rolls back)."""
        ...


class SignalListening(Protocol):
    """A thread that wakes this process's workers when another process stores work."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Store(Protocol):
    def write(self) -> UnitOfWork: ...

    def read(self) -> UnitOfWork:
        """A unit of work that only reads (SQLite lets it skip the write lock)."""
        ...

    def listener(
        self, *, inbox: Callable[[], None], outbox: Callable[[], None]
    ) -> SignalListening | None:
        """Calls `inbox` or `outbox` when another process stores such work; None where the
        database cannot signal (workers poll)."""
        ...

    def schema_problem(self) -> str | None:
        """One line saying why the database does not fit this code, or None when it does."""
        ...

    def upgrade(self) -> None:
        """Migrate the database to this code's schema."""
        ...

    def revision(self) -> str | None:
        """The schema revision the database is at (None: empty)."""
        ...

    def head(self) -> str | None:
        """The schema revision this code needs."""
        ...

    def close(self) -> None: ...
