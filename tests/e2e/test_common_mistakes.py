"""The mistakes of a first hour, made with the real `allhands` process: each ends in one line
on stderr naming the problem and the fix, exit code 2, and no traceback unless
ALLHANDS_LOG_LEVEL=DEBUG asks for one. Their variants and the ways out run in-process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from app import cli
from bot.config import Settings
from storage.db import upgrade

APP = Path(__file__).resolve().parents[2] / "app.py"


def allhands(workdir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`allhands ARGS` in `workdir` (no .env there), with only the settings given."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ALLHANDS_", "SLACK_", "Microsoft", "MICROSOFT"))
    }
    return subprocess.run(
        [sys.executable, str(APP), *args],
        env=inherited | env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def in_process(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The same command in this process, for the cases with no process-level failure path."""
    result = CliRunner().invoke(cli, list(args), env=env)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def one_line_and_exit_2(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("allhands: ")
    return lines[0]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/allhands.db"
    upgrade(url)
    return url


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (a PostgreSQL that is not running)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_on_a_port_in_use_says_so_and_how_to_pick_another(
    tmp_path: Path, sqlite_url: str, held_port: int
) -> None:
    run = allhands(tmp_path, "serve", "--port", str(held_port), ALLHANDS_DATABASE_URL=sqlite_url)
    line = one_line_and_exit_2(run)
    assert f"port {held_port} on 127.0.0.1 is in use" in line
    assert "--port or ALLHANDS_PORT" in line


def test_a_worker_whose_status_port_is_in_use_says_so(
    tmp_path: Path, sqlite_url: str, held_port: int
) -> None:
    run = allhands(tmp_path, "work", "--port", str(held_port), ALLHANDS_DATABASE_URL=sqlite_url)
    assert f"port {held_port} on 127.0.0.1 is in use" in one_line_and_exit_2(run)


def test_a_database_url_that_is_no_url_names_the_forms_that_work(tmp_path: Path) -> None:
    line = one_line_and_exit_2(allhands(tmp_path, "token", "list", ALLHANDS_DATABASE_URL="garbage"))
    assert "ALLHANDS_DATABASE_URL" in line
    assert "use sqlite:///PATH or postgresql://USER:PASS@HOST/DB" in line


def test_a_url_sqlalchemy_cannot_parse_names_the_setting() -> None:
    url = "postgresql://ana@db.example.com:five/allhands"
    line = one_line_and_exit_2(in_process("token", "list", ALLHANDS_DATABASE_URL=url))
    assert "set ALLHANDS_DATABASE_URL to sqlite:///PATH or postgresql://" in line


def test_a_postgresql_that_is_not_running_is_named_with_its_address(
    tmp_path: Path, closed_port: int
) -> None:
    url = f"postgresql://ana:s3cret-pw@127.0.0.1:{closed_port}/allhands"
    run = allhands(tmp_path, "feedback", "list", ALLHANDS_DATABASE_URL=url)
    line = one_line_and_exit_2(run)
    assert f"cannot reach the database (127.0.0.1:{closed_port}/allhands:" in line
    assert "refused" in line.lower()
    assert "ALLHANDS_DATABASE_URL" in line
    assert "s3cret-pw" not in run.stdout + run.stderr


def test_serve_meets_a_database_that_is_down_the_same_way(closed_port: int) -> None:
    url = f"postgresql://ana@127.0.0.1:{closed_port}/allhands"
    line = one_line_and_exit_2(in_process("serve", ALLHANDS_DATABASE_URL=url))
    assert "cannot reach the database" in line


@pytest.mark.parametrize("scheme", ["postgres://", "postgresql://", "postgresql+psycopg://"])
def test_the_usual_postgresql_url_forms_all_mean_psycopg(scheme: str) -> None:
    settings = Settings(database_url=f"{scheme}ana:pw@db.example.com:5433/allhands")
    assert settings.database_url == "postgresql+psycopg://ana:pw@db.example.com:5433/allhands"


def test_a_postgres_url_reaches_the_database(db_url: str) -> None:
    """On PostgreSQL as hosting providers write it; SQLite's URL as it is."""
    url = db_url.replace("postgresql+psycopg://", "postgres://", 1)
    run = in_process("db", "current", ALLHANDS_DATABASE_URL=url)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("database: ")


def test_a_latin_1_csv_is_refused_with_the_option_that_reads_it(
    tmp_path: Path, sqlite_url: str
) -> None:
    path = tmp_path / "reviews.csv"
    path.write_bytes("body,external_id\nThe café menu is gone,r1\n".encode("latin-1"))
    run = allhands(
        tmp_path, "import", str(path), "--source", "appstore", ALLHANDS_DATABASE_URL=sqlite_url
    )
    line = one_line_and_exit_2(run)
    assert "reviews.csv is not UTF-8 (line 2)" in line
    assert "--encoding latin-1" in line
    fixed = in_process(
        "import",
        str(path),
        "--source",
        "appstore",
        "--encoding",
        "latin-1",
        ALLHANDS_DATABASE_URL=sqlite_url,
    )
    assert fixed.returncode == 0, fixed.stderr
    shown = in_process("feedback", "show", "FB-1", ALLHANDS_DATABASE_URL=sqlite_url)
    assert "The café menu is gone" in shown.stdout


def test_a_utf_8_csv_with_a_byte_order_mark_keeps_its_first_column(
    tmp_path: Path, sqlite_url: str
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("body,external_id\nNaïve sync,e1\n".encode("utf-8-sig"))
    run = in_process("import", str(path), "--source", "excel", ALLHANDS_DATABASE_URL=sqlite_url)
    assert run.returncode == 0, run.stderr
    assert "imported 1" in run.stdout


def test_an_unknown_encoding_is_one_line_too(tmp_path: Path, sqlite_url: str) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text("body\nfine\n")
    run = in_process(
        "import",
        str(path),
        "--source",
        "appstore",
        "--encoding",
        "klingon",
        ALLHANDS_DATABASE_URL=sqlite_url,
    )
    assert "unknown encoding 'klingon'" in one_line_and_exit_2(run)


def test_debug_logging_shows_the_traceback_before_the_same_line(tmp_path: Path) -> None:
    run = allhands(
        tmp_path, "token", "list", ALLHANDS_DATABASE_URL="garbage", ALLHANDS_LOG_LEVEL="DEBUG"
    )
    assert run.returncode == 2
    assert "Traceback" in run.stderr
    assert run.stderr.splitlines()[-1].startswith("allhands: invalid configuration: ")
