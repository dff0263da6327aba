"""The real server process (`app.py serve`) under faults, talking to the fake Slack Web API.

Killed between a click's ack and its card update, flooded while Slack answers slowly, and
stopped with SIGTERM in the middle of its work: each time nothing acknowledged may be lost
and nothing may reach Slack twice.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update

from bot.admin.form import current
from bot.core import Core
from bot.domain import Identity, Platform, State
from bot.ports.clock import SystemClock
from handlers.slack.ids import SlackId, message_key
from handlers.slack.views import Origin
from storage.models import OutboxRow
from tests.support.databases import free_port
from tests.support.eventually import PATIENCE, eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import BOT_USER, TEAM
from tests.support.outbox import pending
from tests.support.realdata import needs_realdata
from tests.support.servers import ServerProcess
from tests.support.slack import PEOPLE
from tests.support.slack_payloads import CARDS, SlackSender, block_action, event, view_submission

# Every fault is a real Slack delivery: without the payloads, skip before starting processes.
pytestmark = needs_realdata

USERS = [*PEOPLE, "UDAN"]


@pytest.fixture
def clock() -> SystemClock:
    """The server process runs on real time, so the test's view of its database does too."""
    return SystemClock()


@pytest.fixture
def slack(slack: FakeSlackApi) -> FakeSlackApi:
    """The shared fake (on real time here), with Dan in the workspace too."""
    slack.add_user("UDAN", "Dan Moss", "dan@example.com")
    return slack


@pytest.fixture
def core_settings() -> dict[str, Any]:
    """The test's own view of the server's database (Slack on, so people are looked up)."""
    return {"SLACK_BOT_TOKEN": "xoxb-test"}


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

    await eventually(lambda: pending(core.db) == 0)
    [card] = slack.cards(CARDS)
    assert "(claimed)" in card.text
    assert "Claimed by <@UANA>" in json.dumps(card.blocks)
    assert [c.method for c in slack.performed].count("chat.update") == 1
    assert [m.text for m in slack.replies(CARDS, ts)] == ["<@UANA> claimed this"]
    assert card.reactions == {"eyes": [BOT_USER]}


@pytest.mark.parametrize(
    "warm", [pytest.param(True, id="running"), pytest.param(False, id="just-started")]
)
async def test_acks_come_while_slack_answers_nothing_at_all(
    server: ServerProcess,
    http: aiohttp.ClientSession,
    auth: dict[str, str],
    slack: FakeSlackApi,
    core: Core,
    warm: bool,
) -> None:
    """A burst of clicks and reactions, each answered though all work waits on Slack.

    Slack's 3-second deadline holds however slow Slack is only if no answer waits for Slack:
    every answer here arrives while Slack has still answered none of the calls made since.
    """
    refs = [await ingest(http, auth, f"Report {n}") for n in range(3)]
    cards = {ref: await card_of(slack, core, ref) for ref in refs}
    sender = SlackSender(http)
    if warm:  # a request before Slack turned slow: a server that has been running a while
        warm_up = event("reaction_added.json", "Ev0WARM", user="UANA", reaction="tada", item={})
        assert (await sender.event(warm_up)).status == 200
    silent = slack.hold("*")  # no call is answered until the test releases them
    answered_before = len(slack.performed)

    burst = []
    for n in range(50):
        ref = refs[n % len(refs)]
        burst.append(sender.interactive(claim(ref, USERS[n % len(USERS)], cards[ref])))
        item = {"type": "message", "channel": CARDS, "ts": cards[ref]}
        reaction = "eyes" if n % 2 else "white_check_mark"
        burst.append(
            sender.event(
                event(
                    "reaction_added.json",
                    f"Ev{n:04d}",
                    user=USERS[(n + 1) % len(USERS)],
                    reaction=reaction,
                    item=item,
                    item_user=BOT_USER,
                )
            )
        )
    async with asyncio.timeout(PATIENCE):  # an answer waiting for Slack would wait for ever
        answers = await asyncio.gather(*burst)

    assert [answer.status for answer in answers] == [200] * len(burst)
    assert slack.performed[answered_before:] == []  # Slack had answered nothing meanwhile
    await eventually(lambda: len(slack.calls_to("users.info")) > 0)  # the work did go on
    slack.release(silent)


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
    await eventually(lambda: not accepts_connections(server.port))
    assert not saving.done()

    saved = await saving
    assert (saved.status, await saved.text()) == (200, "")
    assert await server.exited() == 0, server.output()
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

    assert await server.exited() == 0, server.output()
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
            assert await worker.exited() == 0, worker.output()

            response = await SlackSender(http).interactive(claim(ref, "UANA", ts))
            assert response.status == 200
        assert core.desk.get(ref).state is State.OPEN  # acked, stored, not yet handled
        assert core.inbox.pending() == 1
        web.kill()
        worker.start()

        await eventually(lambda: core.desk.get(ref).state is State.CLAIMED)
        await eventually(lambda: core.inbox.pending() == 0 and pending(core.db) == 0)
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
