"""The real server process (`app.py serve`) under faults, talking to the fake Slack Web API.

Killed between a click's ack and its card update, flooded while Slack answers slowly, and
stopped with SIGTERM in the middle of its work: each time nothing acknowledged may be lost
and nothing may reach Slack twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update

from app import build_core
from bot.admin.form import current
from bot.config import Settings
from bot.core import Core
from bot.domain import Identity, Platform, State
from handlers.cli.server import SHUTDOWN_GRACE_SECONDS
from handlers.slack.ids import SlackId, message_key
from handlers.slack.views import Origin
from storage.models import OutboxRow
from tests.fakes.slack_api import BOT_USER, TEAM, FakeSlackApi
from tests.handlers.slack.payloads import (
    CARDS,
    SECRET,
    SlackSender,
    block_action,
    event,
    view_submission,
)
from tests.handlers.slack.support import eventually
from tests.support import needs_realdata

# Every fault is a real Slack delivery: without the payloads, skip before starting processes.
pytestmark = needs_realdata

APP = Path(__file__).resolve().parents[2] / "app.py"
USERS = {"UANA": "Ana Lima", "UBEN": "Ben Okafor", "UCAT": "Cat Jones", "UDAN": "Dan Moss"}
ACK_DEADLINE_SECONDS = 3.0  # Slack's: miss it often and Slack turns the app's events off


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """`python app.py serve` (or another verb) in a process of its own, which the test may kill
    or stop."""

    def __init__(
        self,
        db_url: str,
        slack_api_url: str,
        workdir: Path,
        verb: Sequence[str] = ("serve",),
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self._verb = verb
        self.url = f"http://127.0.0.1:{self.port}"
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("ALLHANDS_", "SLACK_", "Microsoft", "MICROSOFT"))
        }
        self._env = inherited | {
            "ALLHANDS_DATABASE_URL": db_url,
            "ALLHANDS_HOST": "127.0.0.1",
            "ALLHANDS_PORT": str(self.port),
            "ALLHANDS_SLACK_CHANNEL": CARDS,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_api_url,
        }
        self._workdir = workdir  # not the project root, whose .env would be read
        self._log = workdir / f"{verb[0]}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(APP), *self._verb],
                env=self._env,
                cwd=self._workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.running, f"the server exited:\n{self.output()}"
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"the server did not start:\n{self.output()}")

    async def printed(self, line: str, timeout: float = 20.0) -> None:
        """Wait until the process has printed `line` (a process with no routes to ask)."""
        deadline = time.monotonic() + timeout
        while line not in self.output():
            assert self.running, f"the process exited:\n{self.output()}"
            assert time.monotonic() < deadline, f"never printed {line!r}:\n{self.output()}"
            await asyncio.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    async def exited(self, timeout: float) -> int:
        """The exit status, once the process has ended within `timeout` seconds."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout} s:\n{self.output()}")
            await asyncio.sleep(0.05)
        return self.process.returncode

    def kill(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.wait(10)

    def output(self) -> str:
        return self._log.read_text(errors="replace")


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        for user, name in USERS.items():
            fake.add_user(user, name, f"{name.split()[0].lower()}@example.com")
        yield fake


@pytest.fixture
def core(db_url: str) -> Iterator[Core]:
    """The test's own view of the server's database."""
    settings = Settings(ALLHANDS_DATABASE_URL=db_url, SLACK_BOT_TOKEN="xoxb-test")
    core = build_core(settings)
    yield core
    core.close()


@pytest.fixture
async def server(db_url: str, slack: FakeSlackApi, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    server = ServerProcess(db_url, slack.api_url, tmp_path)
    server.start()
    try:
        await server.ready()
        yield server
    finally:
        server.kill()


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=server.url) as session:
        yield session


@pytest.fixture
def auth(core: Core) -> dict[str, str]:
    return {"Authorization": f"Bearer {core.tokens.create('zendesk')}"}


async def ingest(http: aiohttp.ClientSession, auth: dict[str, str], body: str) -> str:
    item = {"source": "zendesk", "body": body}
    async with http.post("/api/v1/feedback", json=item, headers=auth) as response:
        assert response.status == 201, await response.text()
        return response.headers["Location"].rsplit("/", 1)[1]


async def card_of(slack: FakeSlackApi, core: Core, ref: str) -> str:
    """The ts of the item's card, once it is posted and recorded."""
    await eventually(lambda: [c for c in slack.cards(CARDS) if f"{ref} ·" in c.text])
    [card] = [c for c in slack.cards(CARDS) if f"{ref} ·" in c.text]
    key = message_key(CARDS, card.ts)
    await eventually(lambda: core.desk.item_for_card(Platform.SLACK, key) is not None)
    return card.ts


def pending(core: Core) -> int:
    with core.db.read() as uow:
        return uow.outbox.pending()


def claim(ref: str, user: str, ts: str) -> dict[str, Any]:
    return block_action(SlackId.CLAIM, ref, user, message_ts=ts)


async def test_a_claim_acked_before_the_process_was_killed_reaches_its_card_after_a_restart(
    server: ServerProcess,
    http: aiohttp.ClientSession,
    auth: dict[str, str],
    slack: FakeSlackApi,
    core: Core,
) -> None:
    """Slack never sends an acked click again: its card update has to outlive the process."""
    ref = await ingest(http, auth, "The export button does nothing")
    ts = await card_of(slack, core, ref)
    slack.hold("chat.update", times=1)  # the card update stays on its way until the kill

    response = await SlackSender(http).interactive(claim(ref, "UANA", ts))
    assert response.status == 200
    await eventually(lambda: core.desk.get(ref).state is State.CLAIMED)
    await slack.wait_for("chat.update")
    server.kill()
    with core.db.write() as uow:  # the dead process's lease runs out (a minute, in real life)
        leased = update(OutboxRow).where(OutboxRow.sent_at.is_(None))
        uow.session.execute(leased.values(next_attempt_at=core.clock.now()))
        uow.commit()
    server.start()
    await server.ready()

    await eventually(lambda: pending(core) == 0)
    [card] = slack.cards(CARDS)
    assert "(claimed)" in card.text
    assert "Claimed by <@UANA>" in json.dumps(card.blocks)
    assert [c.method for c in slack.performed].count("chat.update") == 1
    assert [m.text for m in slack.replies(CARDS, ts)] == ["<@UANA> claimed this"]
    assert card.reactions == {"eyes": [BOT_USER]}


@pytest.mark.parametrize(
    "warm", [pytest.param(True, id="running"), pytest.param(False, id="just-started")]
)
async def test_acks_stay_within_three_seconds_while_slack_answers_after_five(
    server: ServerProcess,
    http: aiohttp.ClientSession,
    auth: dict[str, str],
    slack: FakeSlackApi,
    core: Core,
    warm: bool,
) -> None:
    """A burst of clicks and reactions, each answered in time though all work on waits."""
    refs = [await ingest(http, auth, f"Report {n}") for n in range(3)]
    cards = {ref: await card_of(slack, core, ref) for ref in refs}
    sender = SlackSender(http)
    if warm:  # a request before Slack turned slow: a server that has been running a while
        warm_up = event("reaction_added.json", "Ev0WARM", user="UANA", reaction="tada", item={})
        assert (await sender.event(warm_up)).status == 200
    slack.hold("*", 5)

    async def timed(request: Any) -> tuple[int, float]:
        started = time.monotonic()
        response = await request
        return response.status, time.monotonic() - started

    users = list(USERS)
    burst = []
    for n in range(50):
        ref = refs[n % len(refs)]
        burst.append(sender.interactive(claim(ref, users[n % len(users)], cards[ref])))
        item = {"type": "message", "channel": CARDS, "ts": cards[ref]}
        reaction = "eyes" if n % 2 else "white_check_mark"
        burst.append(
            sender.event(
                event(
                    "reaction_added.json",
                    f"Ev{n:04d}",
                    user=users[(n + 1) % len(users)],
                    reaction=reaction,
                    item=item,
                    item_user=BOT_USER,
                )
            )
        )
    answers = await asyncio.gather(*(timed(request) for request in burst))

    assert [status for status, _ in answers] == [200] * len(burst)
    slowest = max(seconds for _, seconds in answers)
    assert slowest < ACK_DEADLINE_SECONDS, f"slowest ack took {slowest:.2f} s"
    await eventually(lambda: len(slack.calls_to("users.info")) > 0)  # the work did go on


async def test_sigterm_finishes_the_request_and_the_card_in_flight_then_exits_cleanly(
    server: ServerProcess,
    http: aiohttp.ClientSession,
    auth: dict[str, str],
    slack: FakeSlackApi,
    core: Core,
) -> None:
    """New connections are refused at once; what was under way is finished, then exit 0."""
    slack.hold("chat.postMessage", 4, times=1)  # outlasts the request below
    ref = await ingest(http, auth, "Invoices show the wrong VAT")
    await slack.wait_for("chat.postMessage")
    core.admin.set_role("ben@example.com", "lead", True, None)
    core.desk.person(Identity(Platform.SLACK, f"{TEAM}:UBEN", "Ben Okafor", "ben@example.com"))
    slack.hold("users.info", 3, times=1)
    # A lead's settings are saved before the answer (which may name a bad field); the save
    # waits (a while) for Slack to say who submitted them.
    values = current(core.admin) | {"rota": "mon 09:00-13:00 ben@example.com"}
    inputs = {name: {"type": "plain_text_input", "value": text} for name, text in values.items()}
    submission = view_submission(SlackId.CONFIG_VIEW, inputs, Origin(channel=CARDS).dump(), "UBEN")
    saving = asyncio.create_task(SlackSender(http).interactive(submission))
    await slack.wait_for("users.info")

    server.signal(signal.SIGTERM)
    await eventually(lambda: not accepts_connections(server.port), timeout=5)
    assert not saving.done()

    saved = await saving
    assert (saved.status, await saved.text()) == (200, "")
    assert await server.exited(SHUTDOWN_GRACE_SECONDS) == 0, server.output()
    assert current(core.admin)["rota"] == values["rota"]
    [card] = slack.cards(CARDS)
    assert ref in card.text
    with core.db.read() as uow:  # recorded, so no later process posts it again
        assert [c.extra.get("ts") for c in uow.cards.for_item(core.desk.get(ref).id)] == [card.ts]


async def test_sigterm_lets_a_click_already_acked_finish_its_work(
    server: ServerProcess,
    http: aiohttp.ClientSession,
    auth: dict[str, str],
    slack: FakeSlackApi,
    core: Core,
) -> None:
    """Stopping must not drop the work of a click already answered."""
    ref = await ingest(http, auth, "Checkout fails on Safari")
    ts = await card_of(slack, core, ref)
    slack.hold("users.info", 2, times=1)  # Slack is slow to say who clicked

    assert (await SlackSender(http).interactive(claim(ref, "UANA", ts))).status == 200
    await slack.wait_for("users.info")
    server.signal(signal.SIGTERM)

    assert await server.exited(SHUTDOWN_GRACE_SECONDS) == 0, server.output()
    item = core.desk.get(ref)
    assert item.state is State.CLAIMED
    assert item.claimed is not None
    assert item.claimed.person.email == "ana@example.com"


def accepts_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return False
    return True


async def test_a_click_acked_by_a_no_work_server_is_handled_by_a_worker_even_after_a_kill(
    db_url: str, slack: FakeSlackApi, tmp_path: Path, core: Core, auth: dict[str, str]
) -> None:
    """`serve --no-work` stores a click before its ack and does nothing else with it; an
    `allhands work` process handles it, even one started after the server was killed, and
    counts the change on its own /metrics."""
    web = ServerProcess(db_url, slack.api_url, tmp_path, ("serve", "--no-work"))
    port = free_port()
    worker = ServerProcess(db_url, slack.api_url, tmp_path, ("work", "--port", str(port)), port)
    web.start()
    worker.start()
    try:
        await web.ready()
        await worker.printed("working:")
        await worker.ready()
        async with aiohttp.ClientSession(base_url=web.url) as http:
            ref = await ingest(http, auth, "The export button does nothing")
            ts = await card_of(slack, core, ref)  # the worker sent the card
            worker.signal(signal.SIGTERM)
            assert await worker.exited(SHUTDOWN_GRACE_SECONDS) == 0, worker.output()

            response = await SlackSender(http).interactive(claim(ref, "UANA", ts))
            assert response.status == 200
        assert core.desk.get(ref).state is State.OPEN  # acked, stored, not yet handled
        assert core.inbox.pending() == 1
        web.kill()
        worker.start()

        await eventually(lambda: core.desk.get(ref).state is State.CLAIMED)
        await eventually(lambda: core.inbox.pending() == 0 and pending(core) == 0)
        await worker.ready()
        async with (
            aiohttp.ClientSession(base_url=worker.url) as http,
            http.get("/metrics") as response,
        ):
            metrics = await response.text()
        assert 'allhands_feedback_events_total{kind="claimed"} 1.0' in metrics
        assert "allhands_inbox_pending 0.0" in metrics
    finally:
        web.kill()
        worker.kill()
    [card] = slack.cards(CARDS)
    assert "Claimed by <@UANA>" in json.dumps(card.blocks)
    assert [m.text for m in slack.replies(CARDS, ts)] == ["<@UANA> claimed this"]
