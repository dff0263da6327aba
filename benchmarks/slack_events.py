"""Signed Claim `block_actions` through /slack/events, beside two baselines in the same run.

Servers, each in its own process, on the same aiohttp stack, driven by `wrk`:
- bare: an aiohttp handler that reads the body and answers (benchmarks/bare_server.py);
- Bolt ack-only: a Bolt `AsyncApp` (signature check, authorization) whose Claim listener acks;
- ours: `allhands serve`'s app with the Slack adapter; each request claims a different item.
  The listener stores the click in the inbox (requests arriving together share a transaction)
  and acks; an inbox worker claims the item, and the outbox sends the card update, reactions
  and thread note to a fake Slack Web API. Three ways: one process (`serve`, the worker beside
  the routes, stepping back after each batch while requests crowd, so under 32 connections
  the answers keep most of the process and the work catches up after the load); split
  (`serve --no-work` answering, one `allhands work` process working at the lowest CPU priority
  on the same two cores); answering only (`serve --no-work` alone, as if its worker ran on a
  machine of its own: a worker starts after the load to do the backlog).

Every request is a distinct, correctly signed Slack request for a different open item: the
bodies are signed up front with one timestamp (Bolt accepts a signature for 5 minutes, far
longer than a run). Claims applied are counted while wrk runs, and the seconds the worker then
needs to finish the backlog are reported too, and the CPU the server processes used per
answered request while wrk ran (in one process that includes the work done meanwhile): Bolt's
own cost against ours, whatever the event loop waits on. Targets: ours >= 0.8x Bolt ack-only
requests/s at 32 connections, p99 under 100 ms at 4 connections.

The judged pair, Bolt ack-only and one process at 32 connections, runs `--rounds` times back
to back, and the verdict is the median of the paired ratios: this machine's pace drifts by a
fifth or more over minutes, more than the margin being judged. Every round is printed.

    python -m benchmarks.slack_events [--seconds 10] [--rounds 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass

from benchmarks.harness import Load, cpu_seconds, free_port, process, server, wrk
from benchmarks.slack_setup import SECRET, TOKEN, button_click, slack_env

CHANNEL = "C0BENCH"
USER = "UBENCH"
BODIES = 6_000  # cycled for the baselines, which do nothing with them
ONE = "ours, one process"
SPLIT = "ours, split"
ANSWERING = "ours, answering only"
WORKER = [sys.executable, "app.py", "work"]
TARGET_RATIO = 0.8
TARGET_P99_MS = 100.0

LUA = """
local thread_id = 0
setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
init = function()
  tid = wrk.thread:get("tid")
  counter = 0
end
request = function()
  local r = requests[(counter * 2 + tid - 1) % #requests + 1]
  counter = counter + 1
  return wrk.format("POST", "/slack/events", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Slack-Request-Timestamp"] = stamp,
    ["X-Slack-Signature"] = r[1],
  }, r[2])
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="Bolt / one-process pairs")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--serve", choices=["bolt", "ours", "answer"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "bolt":
        _serve_bolt(args.port, args.api_url)
    elif args.serve in {"ours", "answer"}:
        _serve_ours(args.port, args.api_url, args.database_url, work=args.serve == "ours")
    else:
        with tempfile.TemporaryDirectory() as scratch:
            url = args.database_url or f"sqlite:///{scratch}/bench.db"
            run(url, args.seconds, args.rounds)


@dataclass(frozen=True)
class Measured:
    name: str
    connections: int
    load: Load
    cpu_us: float  # server CPU per answered request
    applied: tuple[float, float] | None  # claims applied/s while wrk ran; backlog seconds

    @property
    def label(self) -> str:
        return f"{self.name}, {self.connections} connections"


def run(database_url: str, seconds: int, rounds: int) -> None:
    from tests.support.fakes.slack_api import FakeSlackApi
    from tests.support.fakes.slack_workspace import Message

    # (server, connections, more requests/s than it answers: each claims an open item)
    judged = [("Bolt ack-only", 32, 0), (ONE, 32, 4_000)] * rounds
    runs = [
        ("bare aiohttp", 32, 0),
        *judged,
        (SPLIT, 32, 4_000),
        (ANSWERING, 32, 4_000),
        ("Bolt ack-only", 4, 0),
        (ONE, 4, 1_500),
        (ANSWERING, 4, 3_000),
    ]
    claims = [seconds * per_second for _, _, per_second in runs]
    with FakeSlackApi().running() as slack:
        slack.add_user(USER, "Bench Person", "bench@example.com")
        cards = _seed(database_url, sum(claims))
        slack.messages.extend(Message(CHANNEL, ts, ref, []) for ref, ts in cards)  # the cards
        env = slack_env(database_url, slack.api_url) | {"ALLHANDS_SLACK_CHANNEL": CHANNEL}
        measured: list[Measured] = []
        for (name, connections, _), count in zip(runs, claims, strict=True):
            chunk, cards = (cards[:count], cards[count:]) if count else (cards[:BODIES], cards)
            with _started(name, env) as (port, pids):
                _warm_up(port, chunk[-1])
                before = _claimed(database_url)
                url, script = f"http://127.0.0.1:{port}/slack/events", _script(chunk)
                used = cpu_seconds(pids)
                load = wrk(url, script, connections, seconds)
                cpu_us = (cpu_seconds(pids) - used) / max(load.requests, 1) * 1e6
                applied = None
                if count:
                    assert load.requests <= count, f"{name}: wrk ran out of distinct clicks"
                    done = _claimed(database_url) - before
                    applied = (done / load.seconds, _backlog_seconds(name, env))
            measured.append(Measured(name, connections, load, cpu_us, applied))
        _report(measured)


@contextmanager
def _started(name: str, env: dict[str, str]) -> Iterator[tuple[int, list[int]]]:
    """The named server (and its worker, when split): the port it listens on, their pids."""
    port = free_port()
    if name == "bare aiohttp":
        command = [sys.executable, "benchmarks/bare_server.py", str(port)]
    elif name == "Bolt ack-only":
        command = [*_self(), "--serve", "bolt", "--api-url", env["SLACK_API_URL"]]
    else:
        serve = "ours" if name == ONE else "answer"
        command = [*_self(), "--serve", serve, "--api-url", env["SLACK_API_URL"]]
        command += ["--database-url", env["ALLHANDS_DATABASE_URL"]]
    if name != "bare aiohttp":
        command += ["--port", str(port)]
    with ExitStack() as stack:
        pids = []
        if name == SPLIT:  # the worker gets the CPU the answers leave
            pids.append(stack.enter_context(process(["nice", "-n", "19", *WORKER], env)).pid)
        pids.append(stack.enter_context(server(command, port)).pid)
        yield port, pids


def _backlog_seconds(name: str, env: dict[str, str]) -> float:
    """How long after the load the inbox takes to empty: work acked but not yet done. When
    only answering, a worker starts now (as if it had run on a machine of its own)."""
    from app import build_core
    from bot.config import Settings

    core = build_core(Settings(ALLHANDS_DATABASE_URL=env["ALLHANDS_DATABASE_URL"]))
    started = time.monotonic()
    try:
        with process(WORKER, env) if name == ANSWERING else nullcontext():
            while core.inbox.pending():
                time.sleep(0.2)
    finally:
        core.close()
    return time.monotonic() - started


def _self() -> list[str]:
    return [sys.executable, "-m", "benchmarks.slack_events"]


def _seed(database_url: str, count: int) -> list[tuple[str, str]]:
    """Items whose cards are posted, one per request of every run (so each claim changes one).

    Each comes with its card's message ts: the Claim click is on the card itself.
    """
    from app import build_core
    from bot.config import Settings
    from bot.domain import Identity, Platform
    from bot.intake import FeedbackDraft
    from handlers.slack.ids import message_key
    from storage.db import upgrade

    upgrade(database_url)
    core = build_core(Settings(ALLHANDS_DATABASE_URL=database_url))  # no channel: no posting
    drafts = [FeedbackDraft(source="bench", body=f"Feedback {n}") for n in range(count)]
    items = [i.item for i in core.desk.ingest_many(drafts, Identity(Platform.API, "b", "b"))]
    cards = [(item.ref, f"1700000000.{n:06d}") for n, item in enumerate(items)]
    with core.db.write() as uow:
        now = core.clock.now()
        for item, (_, ts) in zip(items, cards, strict=True):
            card_id = uow.cards.add_pending(item.id, Platform.SLACK, CHANNEL, now)
            assert card_id is not None
            uow.cards.mark_posted(card_id, message_key(CHANNEL, ts), {"channel": CHANNEL, "ts": ts})
        uow.commit()
    core.close()
    return cards


def _claimed(database_url: str) -> int:
    """How many items are claimed now: the work done after the acks, not just promised."""
    from app import build_core
    from bot.config import Settings
    from bot.domain import State

    core = build_core(Settings(ALLHANDS_DATABASE_URL=database_url))
    try:
        return core.desk.counts()[State.CLAIMED]
    finally:
        core.close()


def _claim_body(ref: str, ts: str, n: int) -> str:
    # trigger ids unique across runs: a repeat would be taken for a retry and skipped
    return button_click("allhands.claim", ref, CHANNEL, ts, USER, f"{n}.{ref}.bench")


def _script(cards: list[tuple[str, str]]) -> str:
    from tests.support.slack_payloads import signature_headers

    stamp = int(time.time())
    rows = []
    for n, (ref, ts) in enumerate(cards):
        body = _claim_body(ref, ts, n)
        signature = signature_headers(body, SECRET, stamp)["X-Slack-Signature"]
        rows.append(f"{{{json.dumps(signature)}, {json.dumps(body)}}}")
    return f'stamp = "{stamp}"\nrequests = {{\n' + ",\n".join(rows) + "\n}\n" + LUA


def _warm_up(port: int, card: tuple[str, str]) -> None:
    """One request first: Bolt's auth.test and the user look-up are cached after it."""
    import urllib.request

    from tests.support.slack_payloads import signature_headers

    body = _claim_body(*card, 10**9)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            **signature_headers(body, SECRET),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local only)
        assert response.status in {200, 201}, response.status


def _serve_bolt(port: int, api_url: str) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=TOKEN, base_url=api_url)
    bolt = AsyncApp(client=client, signing_secret=SECRET)

    @bolt.action("allhands.claim")
    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    app = web.Application()
    app.router.add_post("/slack/events", events)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _serve_ours(port: int, api_url: str, database_url: str, *, work: bool) -> None:
    from aiohttp import web

    from app import build_core
    from bot.config import Settings
    from handlers.server import build_server, chat_adapters, settle_heap

    env = slack_env(database_url, api_url) | {"ALLHANDS_SLACK_CHANNEL": CHANNEL}
    core = build_core(Settings(**env))
    adapters, _ = chat_adapters(core, dev=False)
    app = build_server(core, adapters, work=work)
    settle_heap()  # as `allhands serve` does
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _report(measured: list[Measured]) -> None:
    header = f"{'server':<40} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(f"{header} {'CPU us/req':>10} {'claims applied/s':>17} {'backlog s':>10}")
    for m in measured:
        load = m.load
        figures = f"{load.rate:>9.1f} {load.p50_ms:>8.1f} {load.p99_ms:>8.1f} {load.errors:>7}"
        figures += f" {m.cpu_us:>10.0f}"
        if m.applied is not None:
            figures += f" {m.applied[0]:>17.1f} {m.applied[1]:>10.1f}"
        print(f"{m.label:<40} {figures}")

    def of(name: str, connections: int) -> list[Measured]:
        return [m for m in measured if (m.name, m.connections) == (name, connections)]

    bolts, ones = of("Bolt ack-only", 32), of(ONE, 32)
    bolt_rate = statistics.median(m.load.rate for m in bolts)
    bolt_cpu = statistics.median(m.cpu_us for m in bolts)
    print(f"Bolt ack-only / bare aiohttp: {bolt_rate / of('bare aiohttp', 32)[0].load.rate:.2f}x")
    pairs = [one.load.rate / bolt.load.rate for bolt, one in zip(bolts, ones, strict=True)]
    ratio = statistics.median(pairs)
    each = ", ".join(f"{pair:.2f}x" for pair in pairs)
    print(
        f"{ONE} / Bolt ack-only, the run just before: {each}; median {ratio:.2f}x (target >= 0.80x)"
    )
    for what in (SPLIT, ANSWERING):
        [load] = [m.load for m in of(what, 32)]
        print(f"{what} / Bolt ack-only (median): {load.rate / bolt_rate:.2f}x (target >= 0.80x)")
    for what in (ONE, ANSWERING):
        cpu = statistics.median(m.cpu_us for m in of(what, 32))
        print(f"{what}: CPU per answered request {cpu / bolt_cpu:.2f}x Bolt ack-only's")
    for what in (ONE, ANSWERING):
        [load] = [m.load for m in of(what, 4)]
        print(f"{what}, p99 at 4 connections: {load.p99_ms:.1f} ms (target < 100 ms)")
    [one4] = of(ONE, 4)
    errors = sum(m.load.errors for m in ones)
    ok = ratio >= TARGET_RATIO and one4.load.p99_ms < TARGET_P99_MS and errors == 0
    print("PASS" if ok else "MISS", "(judged on one process, the default `allhands serve`)")


if __name__ == "__main__":
    main()
