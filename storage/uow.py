"""Unit of Work: one transaction, the repositories that share it, and what runs after commit."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage.db import READ_ONLY, session_factory
from storage.repositories import (
    CardRepository,
    EventRepository,
    FeedbackRepository,
    JobRepository,
    OutboxRepository,
    PeopleRepository,
    TokenRepository,
)


class DatabaseUnavailable(Exception):
    """The database could not be reached; the caller should answer "try again later"."""


class UnitOfWork:
    """`with uow:` opens a transaction; `commit()` ends it; leaving without commit rolls back."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._after_commit: list[Callable[[], None]] = []

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.people = PeopleRepository(self.session)
        self.feedback = FeedbackRepository(self.session, self.people)
        self.events = EventRepository(self.session, self.people)
        self.cards = CardRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.tokens = TokenRepository(self.session)
        self.jobs = JobRepository(self.session)
        self._after_commit = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()
        if isinstance(exc, OperationalError | InterfaceError):
            raise DatabaseUnavailable(type(exc.orig).__name__) from exc

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the transaction has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()


class Database:
    """Hands out units of work; `read()` ones skip SQLite's write lock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = session_factory(engine)
        self._reader = session_factory(engine.execution_options(**{READ_ONLY: True}))

    def write(self) -> UnitOfWork:
        return UnitOfWork(self._writer)

    def read(self) -> UnitOfWork:
        return UnitOfWork(self._reader)

    def dispose(self) -> None:
        self.engine.dispose()
