"""Soak: `allhands serve` under steady mixed load for a long run; does its memory stay flat?

Load, open loop from this process: RATE items/s through the ingest API, each routed to one of
CHANNELS Slack channels; ten seconds after it arrives every other item is claimed (a signed
Claim `block_actions`), and ten seconds later closed (the Close button, which opens the modal,
then the modal's signed submission). A fake Slack Web API, also in this process and holding
each channel to one post per second like Slack, receives the cards, their updates, reactions
and thread notes. The server's resident memory (VmRSS in /proc/<pid>/status) is sampled every
few seconds.

Reported: RSS at the start, after the warm-up (the first 2 minutes, or 10 % of a shorter run
but at least 30 s), at the end and the largest; growth from the warm-up to the end (the median
of the samples in the 30 s after the warm-up against that of the last 30 s), target < 10 %.
Baseline: the bare aiohttp server (benchmarks/bare_server.py) sampled the same way under the
same request pattern for a shorter run. Checks: no request failed, every item has exactly one
card, each card shows its item's last state, and the inbox and outbox are empty at the end.

    python -m benchmarks.soak [--minutes 30] [--rate 4] [--database-url URL]

A --database-url must name an empty database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from benchmarks.harness import free_port, server
from benchmarks.slack_setup import SECRET, button_click, routed_core, slack_env
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import TEAM

USER = "USOAK"
CHANNELS = 16
LAG_SECONDS = 10  # from ingest to claim, and from claim to close
SAMPLE_SECONDS = 5.0
WINDOW_SECONDS = 30.0
DRAIN_TIMEOUT_SECONDS = 120.0
TARGET_GROWTH = 0.10
REF = re.compile(r"\bFB-(\d+) ·")


@dataclass
class Run:
    """What one load run did and saw."""

    refs: dict[int, str] = field(default_factory=dict)  # item number -> ref
    claimed: set[str] = field(default_factory=set)
    closed: set[str] = field(default_factory=set)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: Counter[str] = field(default_factory=Counter)
    rss: list[tuple[float, int]] = field(default_factory=list)  # (seconds into the run, KiB)
    load_seconds: float = 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=4.0, help="items ingested per second")
    parser.add_argument("--baseline-minutes", type=float, default=2.0, help="0: no baseline")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/soak.db"
        soak(url, args.minutes * 60, args.rate, args.baseline_minutes * 60)


def soak(database_url: str, seconds: float, rate: float, baseline_seconds: float) -> None:
    channels = [f"C0SOAK{n:02d}" for n in range(CHANNELS)]
    database = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(
        f"soak: {seconds / 60:.1f} min on {database}; {rate:g} items/s over {CHANNELS} channels, "
        f"{rate / 2:g} claims/s and {rate / 2:g} closes/s",
        flush=True,
    )
    with FakeSlackApi().running() as slack:
        slack.add_user(USER, "Soak Person", "soak@example.com")
        limit = slack.limit_per_channel()
        env, token = _prepare(database_url, slack.api_url, channels)
        port = free_port()
        with server([sys.executable, "app.py", "serve", "--port", str(port)], port, env) as proc:
            ours = asyncio.run(_drive(port, proc.pid, token, seconds, rate, channels, slack))
            pending = _wait_until_drained(database_url, slack, len(ours.refs))
        lost = _lost(slack, ours)
        refused, posted = limit.refused, limit.posted
    bare = None
    if baseline_seconds > 0:
        port = free_port()
        bare_server = [sys.executable, "-m", "benchmarks.bare_server", str(port)]
        with server(bare_server, port) as proc:
            bare = asyncio.run(_drive(port, proc.pid, "", baseline_seconds, rate, channels, None))

    print(f"{'server':<8} {'minutes':>7} {'RSS MiB: start':>14} {'warm':>6} {'end':>6} {'max':>6}")
    growth = _memory_row("ours", ours)
    if bare is not None:
        bare_growth = _memory_row("bare", bare)
        print(f"bare aiohttp growth {100 * bare_growth:+.1f} % (its warm-up scaled to its run)")
    for kind, latencies in sorted(ours.latencies.items()):
        p50, p99 = _percentile(latencies, 50), _percentile(latencies, 99)
        print(f"{kind:<13} {len(latencies):>7} requests, p50 {p50:6.1f} ms, p99 {p99:6.1f} ms")
    failed = sum(ours.failures.values())
    print(f"failed requests: {failed} {dict(ours.failures) if failed else ''}".rstrip())
    print(
        f"items: {len(ours.refs)} ingested, {len(ours.claimed)} claimed, {len(ours.closed)} "
        f"closed; cards missing or wrong: {lost}; inbox and outbox pending at the end: {pending}"
    )
    print(f"Slack posts: {posted}, answered 429: {refused}")
    print(
        f"memory growth after warm-up: {100 * growth:+.1f} % (target < {100 * TARGET_GROWTH:.0f} %)"
    )
    ok = growth < TARGET_GROWTH and failed == 0 and lost == 0 and pending == 0
    print("PASS" if ok else "MISS")


def _prepare(database_url: str, api_url: str, channels: list[str]) -> tuple[dict[str, str], str]:
    """Migrate, route one tag to each channel, make an API token; the server's environment."""
    env = slack_env(database_url, api_url)
    core = routed_core(env, channels)
    token = core.tokens.create("soak")
    core.close()
    return env, token


async def _drive(
    port: int,
    pid: int,
    token: str,
    seconds: float,
    rate: float,
    channels: list[str],
    slack: FakeSlackApi | None,
) -> Run:
    """Steady load for `seconds` (a request is never held back by a slow answer)."""
    run = Run()
    base = f"http://127.0.0.1:{port}"
    cards: dict[str, tuple[str, str]] = {}  # ref -> (channel, ts), as the fake shows them
    seen = 0
    lag = round(LAG_SECONDS * rate)
    tasks: set[asyncio.Task[None]] = set()
    start = time.monotonic()
    sampler = asyncio.create_task(_sample(pid, start, run))
    async with aiohttp.ClientSession(base) as http:

        def spawn(kind: str, **call: Any) -> None:
            task = asyncio.create_task(_request(http, run, kind, **call))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        n = 0
        while (due := start + n / rate) < start + seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if slack is not None:
                seen = _index_cards(slack, seen, cards)
            spawn("ingest", body=_ingest_body(n, channels), token=token, number=n)
            if n >= lag and (n - lag) % 2 == 0 and (ref := run.refs.get(n - lag)):
                where = cards.get(ref, (channels[(n - lag) % len(channels)], "0.0"))
                run.claimed.add(ref)
                spawn("claim", forms=[_action("allhands.claim", ref, where, n)])
            if n >= 2 * lag and (n - 2 * lag) % 2 == 0:
                ref = run.refs.get(n - 2 * lag, "")
                if ref in run.claimed:
                    where = cards.get(ref, (channels[(n - 2 * lag) % len(channels)], "0.0"))
                    run.closed.add(ref)
                    click = _action("allhands.close", ref, where, n)
                    spawn("close", forms=[click, _close_submission(ref, where)])
            n += 1
        run.load_seconds = time.monotonic() - start
        if tasks:
            await asyncio.wait(set(tasks))
    sampler.cancel()
    return run


async def _request(
    http: aiohttp.ClientSession,
    run: Run,
    kind: str,
    *,
    body: dict[str, object] | None = None,
    token: str = "",
    number: int = 0,
    forms: tuple[str, ...] | list[str] = (),
) -> None:
    """An ingest, or Slack requests one after another (a Close is the button, then the modal's
    submission); records how it went."""
    began = time.monotonic()
    try:
        if body is not None:
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post("/api/v1/feedback", json=body, headers=headers) as response:
                answer = await response.json(content_type=None)
                _check(response.status)
            run.refs[number] = str(answer.get("ref") or f"FB-{number + 1}")
        for form in forms:
            await _slack_post(http, form)
    except Exception as error:
        run.failures[f"{kind}: {error}"] += 1
        return
    run.latencies[kind].append(1000 * (time.monotonic() - began))


async def _slack_post(http: aiohttp.ClientSession, form: str) -> None:
    from tests.support.slack_payloads import signature_headers

    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **signature_headers(form, SECRET),
    }
    async with http.post("/slack/events", data=form, headers=headers) as response:
        await response.read()
        _check(response.status)


def _check(status: int) -> None:
    if status >= 300:
        raise RuntimeError(f"HTTP {status}")


def _ingest_body(n: int, channels: list[str]) -> dict[str, object]:
    return {
        "source": "soak",
        "external_id": f"soak-{n}",
        "body": f"The export button does nothing ({n}); the customer tried twice.",
        "tags": [channels[n % len(channels)].lower()],
    }


def _action(action_id: str, ref: str, where: tuple[str, str], n: int) -> str:
    return button_click(action_id, ref, *where, USER, f"{n}.{action_id}.soak")


def _close_submission(ref: str, where: tuple[str, str]) -> str:
    channel, ts = where
    origin = json.dumps({"ref": ref, "channel": channel, "ts": ts, "author": ""})
    payload = {
        "type": "view_submission",
        "user": {"id": USER, "username": "soak", "team_id": TEAM},
        "api_app_id": "A0SOAK",
        "team": {"id": TEAM, "domain": "soak"},
        "trigger_id": f"{ref}.soak.submit",
        "view": {
            "id": f"V{ref}",
            "team_id": TEAM,
            "type": "modal",
            "callback_id": "allhands.close_view",
            "private_metadata": origin,
            "state": {
                "values": {
                    "resolution": {"resolution": {"type": "plain_text_input", "value": "Fixed"}},
                    "tell_customer": {
                        "tell_customer": {"type": "checkboxes", "selected_options": []}
                    },
                }
            },
        },
    }
    return urlencode({"payload": json.dumps(payload)})


def _index_cards(slack: FakeSlackApi, seen: int, cards: dict[str, tuple[str, str]]) -> int:
    """Learn the cards posted since `seen` (the fake only appends); returns the new count."""
    messages = slack.messages[seen:]
    for message in messages:
        found = REF.search(message.text) if message.thread_ts is None else None
        if found:
            cards.setdefault(f"FB-{found.group(1)}", (message.channel, message.ts))
    return seen + len(messages)


async def _sample(pid: int, start: float, run: Run) -> None:
    status = Path(f"/proc/{pid}/status")
    while status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                run.rss.append((time.monotonic() - start, int(line.split()[1])))
        await asyncio.sleep(SAMPLE_SECONDS)


def _warm_up(seconds: float) -> float:
    return min(120.0, max(30.0, seconds / 10))


def _memory_row(name: str, run: Run) -> float:
    """Prints one server's RSS figures; returns its growth from the warm-up to the end."""
    warm = _warm_up(run.load_seconds)
    after_warm = [kib for at, kib in run.rss if warm <= at < warm + WINDOW_SECONDS]
    last = [kib for at, kib in run.rss if at >= run.load_seconds - WINDOW_SECONDS]
    first, high = run.rss[0][1], max(kib for _, kib in run.rss)
    warm_kib = statistics.median(after_warm or [first])
    end_kib = statistics.median(last or [run.rss[-1][1]])
    figures = [first, warm_kib, end_kib, high]
    print(
        f"{name:<8} {run.load_seconds / 60:>7.1f} {figures[0] / 1024:>14.1f} "
        + " ".join(f"{kib / 1024:>6.1f}" for kib in figures[1:])
    )
    return end_kib / warm_kib - 1


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


def _wait_until_drained(database_url: str, slack: FakeSlackApi, items: int) -> int:
    """Waits until every card is posted and the inbox and outbox are empty; returns what is
    still pending in them."""
    from storage.db import create_db_engine
    from storage.uow import SqlStore

    db = SqlStore(create_db_engine(database_url))
    deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
    try:
        while True:
            with db.read() as uow:
                pending = uow.outbox.pending() + uow.inbox.pending()
            if (pending == 0 and len(slack.cards()) >= items) or time.monotonic() > deadline:
                return pending
            time.sleep(0.5)
    finally:
        db.close()


def _lost(slack: FakeSlackApi, run: Run) -> int:
    """Items without exactly one card, or whose card does not show the item's last state."""
    cards: dict[str, list[str]] = defaultdict(list)
    for message in slack.cards():
        found = REF.search(message.text)
        if found:
            cards[f"FB-{found.group(1)}"].append(message.text)
    wrong = 0
    for ref in run.refs.values():
        texts = cards.get(ref, [])
        state = "closed" if ref in run.closed else "claimed" if ref in run.claimed else "open"
        wrong += len(texts) != 1 or not texts[0].endswith(f"({state})")
    return wrong


if __name__ == "__main__":
    main()
