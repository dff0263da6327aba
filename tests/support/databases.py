"""The databases tests run on: a migrated SQLite file, an empty PostgreSQL database cloned from a
migrated template (and emptied for reuse), or a PostgreSQL server of the test's own that it may
stop and start.

PostgreSQL comes from ALLHANDS_TEST_POSTGRES_URL (a superuser URL; `.ci/run` starts a throwaway
server and sets it); ALLHANDS_REQUIRE_POSTGRES=1 turns a missing one into failures.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from storage.db import upgrade

PG_ADMIN_URL = os.environ.get("ALLHANDS_TEST_POSTGRES_URL", "")
PG_REQUIRED = os.environ.get("ALLHANDS_REQUIRE_POSTGRES") == "1"

needs_postgres = pytest.mark.skipif(
    not PG_ADMIN_URL and not PG_REQUIRED,
    reason="PostgreSQL tier off: set ALLHANDS_TEST_POSTGRES_URL (.ci/run does)",
)
# Every storage-backed test runs once per engine (`db_url` is parametrised with these).
ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=needs_postgres),
]


def migrated_sqlite(folder: Path) -> Path:
    """A SQLite file at the newest schema, to copy for each test."""
    path = folder / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def fresh_sqlite_url(template: Path, folder: Path) -> str:
    path = folder / "allhands.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def migrated_postgres_template() -> Iterator[str]:
    """The name of a PostgreSQL database at the newest schema, dropped at the end."""
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


class PostgresDatabases:
    """Databases cloned from a migrated template, each emptied after a test for the next one.

    Cloning takes a second or more on a busy machine, emptying a tenth of that; a test still
    starts on an empty database at the newest schema, with every id sequence back at its start.
    A database the test left at another schema version (a migration test) is dropped instead.
    """

    def __init__(self, template: str) -> None:
        self._template = template
        self._admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self._idle: list[str] = []
        self._all: list[str] = []
        with self._engine(template) as engine, engine.connect() as connection:
            self._version = connection.execute(text(VERSION)).scalar_one()
            self._emptying = str(connection.execute(text(EMPTYING)).scalar_one())

    def lend(self) -> Iterator[str]:
        """The URL of an empty database for one test; emptied (or dropped) when it is done."""
        name = self._idle.pop() if self._idle else self._clone()
        try:
            yield self.url(name)
        finally:
            self._give_back(name)

    def url(self, name: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        for name in list(self._all):
            self._drop(name)
        self._admin.dispose()

    def _clone(self) -> str:
        name = f"allhands_test_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"'))
        self._all.append(name)
        return name

    def _give_back(self, name: str) -> None:
        with self._admin.connect() as connection:  # whatever the test left connected
            connection.execute(text(OTHERS_OFF), {"name": name})
        with self._engine(name) as engine, engine.begin() as connection:
            reusable = (
                connection.execute(text(VERSIONED)).scalar_one()
                and connection.execute(text(VERSION)).scalar_one_or_none() == self._version
            )
            if reusable:
                connection.exec_driver_sql(self._emptying)
        if reusable:
            self._idle.append(name)
        else:
            self._drop(name)

    def _drop(self, name: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._all.remove(name)

    @contextmanager
    def _engine(self, name: str) -> Iterator[Engine]:
        engine = create_engine(self.url(name), poolclass=NullPool)
        try:
            yield engine
        finally:
            engine.dispose()


VERSIONED = "SELECT to_regclass('alembic_version') IS NOT NULL"
VERSION = "SELECT version_num FROM alembic_version"
# The script that empties every table and restarts every sequence. Foreign keys are not
# checked meanwhile (as the superuser the tests connect as may), so the order is moot.
EMPTYING = """
SELECT 'SET LOCAL session_replication_role = replica; '
    || (SELECT string_agg(format('DELETE FROM %I;', tablename), ' ') FROM pg_tables
        WHERE schemaname = 'public' AND tablename <> 'alembic_version')
    || ' '
    || (SELECT coalesce(string_agg(format('ALTER SEQUENCE %I RESTART;', sequencename), ' '), '')
        FROM pg_sequences WHERE schemaname = 'public')
"""
OTHERS_OFF = (
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = :name AND pid <> pg_backend_pid()"
)


# ---- a PostgreSQL server of the test's own ------------------------------------------------
# PostgreSQL refuses to run as root, so as root its tools run as the `postgres` user.


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return found[-1] if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayPostgres:
    """A PostgreSQL server in a temporary folder, which the test may stop and start at will."""

    def __init__(self, bin_dir: Path) -> None:
        self._bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="allhands-pg-"))
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self._run("initdb", "-D", str(self.root / "data"), "-U", "postgres", "-A", "trust")

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        command = [str(self._bin / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=check, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        data, log = str(self.root / "data"), str(self.root / "log")
        self._run("pg_ctl", "-D", data, "-l", log, "-w", "-o", options, "start")

    def stop(self, *, check: bool = True) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop", check=check)

    def remove(self) -> None:
        self.stop(check=False)
        shutil.rmtree(self.root, ignore_errors=True)


MISSING = "PostgreSQL binaries not found under /usr/lib/postgresql (apt install postgresql)"
# Tests that start their own server are skipped without the binaries, except where PostgreSQL
# is required (CI): there the missing binaries fail the test.
needs_postgres_binaries = pytest.mark.skipif(_bin_dir() is None and not PG_REQUIRED, reason=MISSING)


def throwaway_postgres() -> ThrowawayPostgres:
    """A fresh, stopped server."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.fail(MISSING)
    return ThrowawayPostgres(bin_dir)
