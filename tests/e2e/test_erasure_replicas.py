"""Acceptance (issue 23): an erasure end to end on both platforms with three replicas on one
PostgreSQL database, killed halfway and restarted. Afterwards no stored row, chat copy or log
line written after the erasure holds the person's address or words, and the audit shows one
erasure.

The erasing process is a real one, killed after its second batch; three replicas (three cores,
each with its own outbox worker against the fake Slack Web API and the real Teams CloudAdapter
against the fake Bot Connector) take the job up after its lease and send the chat updates; one
of them dies mid-send holding its leases, and the others finish after those run out.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.core import Core
from bot.delivery import pacing
from bot.delivery.outbox import OutboxWorker
from bot.domain import Platform
from bot.ports.chat import ChatPoster
from handlers.server import build_server
from tests.support.builders import API, draft, person
from tests.support.clock import FakeClock, VirtualTime
from tests.support.core import make_core
from tests.support.databases import PostgresDatabases, needs_postgres
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.outbox import pending
from tests.support.realdata import needs_realdata
from tests.support.servers import both_adapters, both_platforms
from tests.support.stored_text import rows_holding
from tests.support.teams import install

pytestmark = [needs_postgres, needs_realdata, pytest.mark.usefixtures("no_internet")]

ROOT = Path(__file__).resolve().parents[2]
DANA = "dana.reyes@example.com"
WORDS = "my parrot Kiwi ate the invoice"
SENDS_BEFORE_DEATH = 3


@pytest.fixture
def db_url(pg_databases: PostgresDatabases) -> Iterator[str]:
    """PostgreSQL only: three replicas share it (SQLite is covered by tests/privacy)."""
    yield from pg_databases.lend()


@pytest.fixture
def clock() -> FakeClock:
    """Now, as the killed process saw it, so its leases run out when the test moves on."""
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def replicas(
    db_url: str, clock: FakeClock, slack: FakeSlackApi, connector: FakeConnector
) -> Iterator[list[Core]]:
    cores = [make_core(db_url, clock, **both_platforms(slack, connector)) for _ in range(3)]
    yield cores
    for core in cores:
        core.close()


class DyingPoster:
    """A replica's poster that hangs for good after `sends` calls: its task is then cancelled
    with its messages still leased, as a killed process leaves them."""

    def __init__(self, real: ChatPoster, sends: list[int]) -> None:
        self._real, self._sends = real, sends
        self.platform = real.platform

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            if self._sends[0] >= SENDS_BEFORE_DEATH:
                await asyncio.Event().wait()
            self._sends[0] += 1
            return await method(*args, **kwargs)

        return counted


def _worker(core: Core, connector: FakeConnector, dying: list[int] | None = None) -> OutboxWorker:
    posters: dict[Platform, Any] = {a.platform: a.poster for a in both_adapters(core, connector)}
    if dying is not None:
        posters = {p: DyingPoster(poster, dying) for p, poster in posters.items()}
    return OutboxWorker(
        core.db, posters, core.clock, stories=core.stories, privacy=core.desk.privacy
    )


@pytest.fixture
async def installed(replicas: list[Core], connector: FakeConnector) -> AsyncIterator[None]:
    """The app added to the Teams team (the answering side only: no worker of its own)."""
    core = replicas[0]
    server = TestServer(build_server(core, both_adapters(core, connector), work=False))
    async with TestClient(server) as client:

        async def post(activity: dict[str, Any]) -> Any:
            activity = connector.activity(activity)
            headers = {"Authorization": connector.authorization(activity)}
            return await client.post("/api/messages", json=activity, headers=headers)

        await install(post)
        yield


def _chat_copies(slack: FakeSlackApi, connector: FakeConnector) -> list[str]:
    """What each message on either platform says now."""
    slack_text = [json.dumps([m.text, m.blocks]) for m in slack.messages]
    return slack_text + [json.dumps(body) for body in connector.activities.values()]


async def _drain(worker: OutboxWorker, core: Core) -> None:
    await eventually(lambda: _drained(worker, core), what="the outbox to drain")


async def _drained(worker: OutboxWorker, core: Core) -> bool:
    await worker.drain_once()
    return pending(core.db) == 0


async def test_an_erasure_killed_halfway_finishes_on_the_other_replicas_and_leaves_nothing(
    replicas: list[Core],
    installed: None,
    db_url: str,
    clock: FakeClock,
    slack: FakeSlackApi,
    connector: FakeConnector,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    VirtualTime.installed(monkeypatch, pacing)  # Slack's 1 post a second, without the wait
    first = replicas[0]
    refs = [
        first.desk.ingest(
            draft(
                f"{WORDS}, part {n}",
                customer={"name": "Dana Reyes", "email": DANA},
                external_id=f"d{n}",
            ),
            API,
        ).item.ref
        for n in range(3)
    ]
    first.desk.comment(refs[0], person("ana"), f"She says {WORDS}")
    first.desk.close(refs[1], person("ana"), f"Refunded: {WORDS}")
    first.desk.ingest(draft(f"Same as {DANA}", customer={"email": "eli@example.com"}), API)
    await _drain(_worker(first, connector), first)
    assert any(WORDS in copy for copy in _chat_copies(slack, connector))

    killed = subprocess.run(
        [sys.executable, "-m", "tests.support.erasure_crash", db_url, DANA],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == 9, killed.stderr
    assert rows_holding(db_url, [WORDS])  # halfway: one item still has her words

    clock.advance(minutes=2)  # the dead process's lease has run out
    caplog.set_level(logging.DEBUG)
    resumed = await asyncio.gather(*(asyncio.to_thread(r.erasure.resume) for r in replicas))
    assert sorted(resumed) == [0, 0, 1]  # one replica took it up, once

    dying = [0]
    doomed = asyncio.create_task(_worker(replicas[0], connector, dying).drain_once())
    await eventually(lambda: dying[0] >= SENDS_BEFORE_DEATH, what="the replica's sends")
    doomed.cancel()  # killed mid-send, its messages still leased
    survivors = [_worker(r, connector) for r in replicas[1:]]
    await asyncio.gather(*(w.drain_once() for w in survivors))
    clock.advance(minutes=2)  # the killed replica's leases run out
    await _drain(survivors[0], replicas[1])

    assert rows_holding(db_url, [DANA, WORDS, "Dana Reyes"]) == []
    leaks = [c for c in _chat_copies(slack, connector) if WORDS in c or DANA in c.lower()]
    assert leaks == []
    logged = [r.getMessage() for r in caplog.records] + killed.stderr.splitlines()
    assert [line for line in logged if DANA in line.lower() or WORDS in line] == []
    audit = [e for e in first.admin.audit() if e.key == "customer.forget"]
    assert len(audit) == 1
    assert audit[0].new["counts"]["items"] == 3
