"""Fixtures: every storage-backed test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ALLHANDS_TEST_POSTGRES_URL (an admin URL; `.ci/run` starts a throwaway
server and sets it). Each test gets a fresh database cloned from a migrated template.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from bot.admin.routing import StaticRouter
from bot.domain import Identity, Platform
from bot.ports.changes import Change
from bot.service import Desk
from storage.db import create_db_engine, upgrade
from storage.uow import SqlStore
from tests.support import FakeClock

PG_ADMIN_URL = os.environ.get("ALLHANDS_TEST_POSTGRES_URL", "")
PG_REQUIRED = os.environ.get("ALLHANDS_REQUIRE_POSTGRES") == "1"

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            not PG_ADMIN_URL and not PG_REQUIRED,
            reason="PostgreSQL tier off: set ALLHANDS_TEST_POSTGRES_URL (.ci/run does)",
        ),
    ),
]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    if not PG_ADMIN_URL:
        pytest.fail("ALLHANDS_REQUIRE_POSTGRES=1 but ALLHANDS_TEST_POSTGRES_URL is not set")
    name = f"allhands_template_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
    yield name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_postgres_url(template: str) -> Iterator[str]:
    name = f"allhands_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "allhands.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    yield from fresh_postgres_url(request.getfixturevalue("pg_template"))


@pytest.fixture
def database(db_url: str) -> Iterator[SqlStore]:
    db = SqlStore(create_db_engine(db_url))
    yield db
    db.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class RecordingListener:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def item_changed(self, change: Change) -> None:
        self.changes.append(change)


@pytest.fixture
def listener() -> RecordingListener:
    return RecordingListener()


@pytest.fixture
def desk(database: SqlStore, listener: RecordingListener, clock: FakeClock) -> Desk:
    return Desk(database, StaticRouter(), listener, clock)


def person(name: str, platform: Platform = Platform.SLACK) -> Identity:
    """An employee identity with a predictable email."""
    return Identity(platform, f"{platform.value}:{name}", name.capitalize(), f"{name}@example.com")
