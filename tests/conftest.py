"""Fixtures every test shares; what they build comes from tests/support.

Every storage-backed test runs on SQLite and on PostgreSQL: `db_url` is parametrised by engine,
and each test gets an empty database at the newest schema. Directories and modules
that need a differently configured core override `core_settings` (or `clock`), never `core`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.admin.routing import StaticRouter
from bot.core import Core
from bot.ports.clock import Clock
from bot.service import Desk
from handlers.chat import ChatAdapter
from handlers.observability import PAYLOAD_LOGGERS
from handlers.server import build_server
from storage.db import create_db_engine
from storage.uow import SqlStore
from tests.support.clock import FakeClock
from tests.support.core import make_core
from tests.support.databases import (
    ENGINES,
    PostgresDatabases,
    fresh_sqlite_url,
    migrated_postgres_template,
    migrated_sqlite,
)
from tests.support.doubles import RecordingListener
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.pacing import quick_posts, quick_stops
from tests.support.slack import with_people
from tests.support.teams import keep_local, with_rido

# ---- process-wide state ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _repeats_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests about something else post alike items ("Checkout fails (1)", "(2)") and expect a
    card each: repeats stay off unless a test turns them on (`ALLHANDS_REPEATS=true`)."""
    monkeypatch.setenv("ALLHANDS_REPEATS", "false")


@pytest.fixture(autouse=True)
def _logging_as_before() -> Iterator[None]:
    """A server masks log records process-wide, and `serve` quiets the chat libraries' loggers
    (as a process runs once); a test that started either must not change the next test's logs."""
    factory = logging.getLogRecordFactory()
    levels = {name: logging.getLogger(name).level for name in PAYLOAD_LOGGERS}
    yield
    logging.setLogRecordFactory(factory)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(autouse=True)
def _quick_waits(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests wait for cards, not for Slack's pacing (`real_pacing` tests keep the real second),
    and a server stops without waiting out its signal listener's second."""
    quick_posts(request, monkeypatch)
    quick_stops(monkeypatch)


# ---- databases ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    yield from migrated_postgres_template()


@pytest.fixture(scope="session")
def pg_databases(pg_template: str) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(pg_template)
    yield databases
    databases.close()


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        yield fresh_sqlite_url(sqlite_template, tmp_path)
        return
    yield from request.getfixturevalue("pg_databases").lend()


@pytest.fixture
def database(db_url: str) -> Iterator[SqlStore]:
    db = SqlStore(create_db_engine(db_url))
    yield db
    db.close()


# ---- the core's use cases over a database ---------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def listener() -> RecordingListener:
    return RecordingListener()


@pytest.fixture
def desk(database: SqlStore, listener: RecordingListener, clock: FakeClock) -> Desk:
    return Desk(database, StaticRouter(), listener, clock)


# ---- the core as app.py builds it, and the real server around it ----------------------------


@pytest.fixture
def core_settings() -> dict[str, Any]:
    """What the core is configured with besides its database (environment names)."""
    return {}


@pytest.fixture
def core(db_url: str, clock: Clock, core_settings: dict[str, Any]) -> Iterator[Core]:
    built = make_core(db_url, clock, **core_settings)
    yield built
    built.close()


@pytest.fixture
def adapters() -> list[ChatAdapter]:
    """The chat adapters the server runs with: none, unless a directory says so."""
    return []


@pytest.fixture
async def client(core: Core, adapters: list[ChatAdapter]) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(build_server(core, adapters))) as test_client:
        yield test_client


@pytest.fixture
def token(core: Core) -> str:
    """A token that may read and submit any source, as every token made before scopes."""
    return core.tokens.create("zendesk", read=True)


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---- the chat platforms' services, faked on this machine -------------------------------------


@pytest.fixture
async def slack(clock: FakeClock) -> AsyncIterator[FakeSlackApi]:
    """The fake Slack Web API on the test's clock, with Ana, Ben and Cat in its workspace."""
    async with FakeSlackApi(now=lambda: clock.now().timestamp()) as fake:
        yield with_people(fake)


@pytest.fixture
def connector() -> Iterator[FakeConnector]:
    """The fake Bot Connector, knowing Rido."""
    with FakeConnector().running() as fake:
        yield with_rido(fake)


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to resolve a host other than this machine fails the test."""
    keep_local(monkeypatch)
