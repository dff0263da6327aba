"""Ingest API and CSV import speed, each against a bare baseline measured in the same run.

API: closed-loop `wrk` load (32 connections for throughput, 4 for latency), unique external ids,
against `allhands serve` on SQLite and against a bare aiohttp handler that answers 201.
Import: 100,000 CSV rows through `allhands import` versus raw sqlite3 `executemany` of the
same rows into the same schema in one transaction.

Run: python -m benchmarks.ingest [--seconds N]
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import free_port, row, server, wrk
from bot.domain import Identity, Platform
from bot.importer import CsvFile, CsvImporter
from storage.db import create_db_engine, upgrade
from storage.uow import SqlStore

ROWS = 100_000
CLI = [sys.executable, "app.py"]
TARGET_API_RATIO = 0.15
TARGET_P99_MS = 50.0
TARGET_IMPORT_RATIO = 0.3

INGEST_SCRIPT = """
local thread_id = 0
local counter = 0
setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
request = function()
  counter = counter + 1
  local body = string.format(
    '{"source":"bench","external_id":"%s-%d-%d","body":"The export button does nothing (%d)","tags":["export"]}',
    run_id, tid, counter, counter)
  return wrk.format("POST", "/api/v1/feedback",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
"""


def api_script(token: str) -> str:
    """The wrk script posting one new item per request (a unique external id each)."""
    run_id = f"r{time.time_ns()}"
    return f'token = "{token}"\nrun_id = "{run_id}"\n{INGEST_SCRIPT}'


def server_env(db_path: Path) -> dict[str, str]:
    """`allhands serve` on a SQLite file, with the per-token and per-source rate limits lifted
    (they would turn most of this load into 429s)."""
    return {
        "ALLHANDS_DATABASE_URL": f"sqlite:///{db_path}",
        "ALLHANDS_LOG_LEVEL": "WARNING",
        "ALLHANDS_API_RATE": "1000000",
        "ALLHANDS_API_BURST": "1000000",
        "ALLHANDS_SOURCE_RATE": "1000000",
        "ALLHANDS_SOURCE_BURST": "1000000",
    }


def run_cli(env: dict[str, str], *args: str) -> str:
    """`allhands ARGS` with `env`; its output."""
    return subprocess.run(
        [*CLI, *args], env=env | _path_env(), check=True, capture_output=True, text=True
    ).stdout


def api_token(env: dict[str, str]) -> str:
    """A migrated database and a fresh API token for it."""
    run_cli(env, "db", "upgrade")
    return run_cli(env, "token", "create", "--name", "bench").strip().splitlines()[-1]


def bench_api(workdir: Path, seconds: int) -> list[str]:
    env = server_env(workdir / "api.db")
    script = api_script(api_token(env))
    ours_port, bare_port = free_port(), free_port()
    with server([*CLI, "serve", "--port", str(ours_port)], ours_port, env):
        ours32 = wrk(f"http://127.0.0.1:{ours_port}", script, 32, seconds)
        ours4 = wrk(f"http://127.0.0.1:{ours_port}", script, 4, seconds)
    with server([sys.executable, "-m", "benchmarks.bare_server", str(bare_port)], bare_port):
        bare32 = wrk(f"http://127.0.0.1:{bare_port}", script, 32, seconds)
        bare4 = wrk(f"http://127.0.0.1:{bare_port}", script, 4, seconds)
    return [
        row("API items/s, 32 connections", ours32.rate, bare32.rate, "items/s"),
        row("API p99 latency, 32 connections", ours32.p99_ms, bare32.p99_ms, "ms"),
        row("API items/s, 4 connections", ours4.rate, bare4.rate, "items/s"),
        row("API p99 latency, 4 connections", ours4.p99_ms, bare4.p99_ms, "ms"),
        f"errors: ours {ours32.errors + ours4.errors}, bare {bare32.errors + bare4.errors}",
        f"targets: >= {TARGET_API_RATIO}x bare items/s at 32 connections "
        f"({'met' if ours32.rate / bare32.rate >= TARGET_API_RATIO else 'MISSED'}), "
        f"p99 < {TARGET_P99_MS} ms at 4 connections "
        f"({'met' if ours4.p99_ms < TARGET_P99_MS else 'MISSED'})",
    ]


def _path_env() -> dict[str, str]:
    import os

    return {"PATH": os.environ.get("PATH", "")}


def write_csv(path: Path) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "body", "severity", "tags", "customer_email"])
        for n in range(ROWS):
            writer.writerow(
                [f"row-{n}", f"Feedback number {n}", "normal", "bulk;csv", f"c{n}@example.com"]
            )


def raw_sqlite_import(path: Path, db_path: Path) -> float:
    """The least an import can do: read the CSV, executemany it in one sqlite3 transaction."""
    upgrade(f"sqlite:///{db_path}")
    start = time.perf_counter()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [
            (
                "legacy",
                r["external_id"],
                r["body"],
                "feedback",
                r["severity"],
                json.dumps(r["tags"].split(";")),
                r["customer_email"],
                now,
                "open",
                0,
                now,
                now,
                1,
            )
            for r in reader
        ]
    connection = sqlite3.connect(db_path)
    with connection:
        connection.executemany(
            "INSERT INTO feedback (source, external_id, body, kind, severity, tags, customer_email,"
            " received_at, state, notify_customer, created_at, updated_at, version)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def ours_import(path: Path, db_path: Path) -> float:
    url = f"sqlite:///{db_path}"
    upgrade(url)
    db = SqlStore(create_db_engine(url))
    start = time.perf_counter()
    report = CsvImporter(db).run(
        CsvFile.check(path), "legacy", Identity(Platform.CLI, "bench", "bench")
    )
    elapsed = time.perf_counter() - start
    db.close()
    assert report.imported == ROWS, report
    return elapsed


def bench_import(workdir: Path) -> list[str]:
    path = workdir / "rows.csv"
    write_csv(path)
    raw = raw_sqlite_import(path, workdir / "raw.db")
    ours = ours_import(path, workdir / "ours.db")
    ratio = raw / ours
    return [
        row("CSV import rows/s (100,000 rows)", ROWS / ours, ROWS / raw, "rows/s"),
        f"target: >= {TARGET_IMPORT_RATIO}x raw sqlite3 ({'met' if ratio >= TARGET_IMPORT_RATIO else 'MISSED'})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--only", choices=["api", "import"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        lines: list[str] = []
        if args.only in (None, "import"):
            lines += bench_import(workdir)
        if args.only in (None, "api"):
            lines += bench_api(workdir, args.seconds)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
