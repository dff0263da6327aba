"""Engine and session factory: SQLite tuned for one writer at a time, PostgreSQL with a pool."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, column, create_engine, event, inspect, make_url, select, table
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# Alembic's default, which migrations/env.py keeps.
VERSION_TABLE = table("alembic_version", column("version_num"))

# Execution option that marks a connection as read-only, so SQLite may skip the write lock.
READ_ONLY = "allhands_read_only"

# While PostgreSQL is down, requests should fail fast (503) rather than queue for a connection.
PG_CONNECT_TIMEOUT_SECONDS = 5
PG_POOL_TIMEOUT_SECONDS = 5


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for writers.

    BEGIN IMMEDIATE takes SQLite's write lock at the start of a writing transaction, so two
    concurrent claims queue on the busy timeout instead of failing with "database is locked"
    when a read lock cannot be upgraded.
    """
    parsed = make_url(url)
    pooled = "poolclass" not in kwargs
    # Statement parameters hold customer text and webhook secrets: keep them out of SQL echo
    # and out of the error messages that end up in logged tracebacks.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("connect_args", {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS})
        if pooled:
            kwargs.setdefault("pool_pre_ping", True)
            kwargs.setdefault("pool_timeout", PG_POOL_TIMEOUT_SECONDS)
            kwargs.setdefault("pool_size", 10)
            kwargs.setdefault("max_overflow", 20)
        return create_engine(url, **kwargs)

    if parsed.database and parsed.database != ":memory:":
        _create_private(Path(parsed.database).expanduser())
    if pooled:
        kwargs.setdefault("pool_size", 8)
        kwargs.setdefault("max_overflow", 24)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _tune(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=30000",
            "foreign_keys=ON",
            "temp_store=MEMORY",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _create_private(path: Path) -> None:
    """A new SQLite file readable by its owner only: it holds customers' words, and SQLite
    gives its -wal and -shm files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Read from Alembic's version table directly: a `MigrationContext` announces itself in two
    INFO lines each time it is made, which is every `/readyz` probe."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE.name):
            return None
        return connection.execute(select(VERSION_TABLE.c.version_num)).scalar()


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def schema_problem(engine: Engine) -> str | None:
    """One line saying why this database does not fit this code, or None when it does."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return None
    if current is None:
        return "the database is empty: run `allhands db upgrade`"
    known = {
        rev.revision
        for rev in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()
    }
    if current not in known:
        return (
            f"the database is at revision {current}, newer than this code ({head}): "
            "upgrade All Hands"
        )
    return f"the database is at revision {current}, behind {head}: run `allhands db upgrade`"
