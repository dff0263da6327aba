"""Outbox drain against a fake Slack that allows one message per second in each channel.

The fake Slack Web API (tests/support/fakes/slack_api.py, `limit_per_channel`) answers a post that
comes sooner than a second after the channel's last one with 429 and a Retry-After, as Slack's
chat.postMessage does. The same backlog, CHANNELS channels x SECONDS cards each, is drained
three times, each time into a fresh fake:
- bare, on the clock: a client process that posts each channel's cards on a fixed schedule
  exactly one second apart (and retries a 429 after its Retry-After);
- bare, after each answer: the same client, but each post one second after the channel's
  previous answer (the rule handlers/slack/poster.py follows), with nothing else to do;
- ours: `allhands serve` (the real OutboxWorker and SlackPoster) on a database seeded through
  the core with the cards' intents already in the outbox (routes send each item to a channel).
The cap drains CHANNELS x SECONDS cards in SECONDS - 1 seconds, so the drain rate is counted as
the cards after each channel's first over the time from the first card to the last.
Targets: ours >= 0.9x the cap (CHANNELS x 1 card/s), <= 1 % of posts answered 429, and every
channel's cards in the order they were written.

    python -m benchmarks.outbox_drain [--channels 15] [--seconds 40] [--database-url URL]

A --database-url must name an empty database.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks.harness import free_port, server
from benchmarks.slack_setup import TOKEN, routed_core, slack_env
from tests.support.fakes.slack_api import FakeSlackApi

TARGET_CAP_RATIO = 0.9
TARGET_REFUSED = 0.01
REF = re.compile(r"\bFB-(\d+) ·")


@dataclass(frozen=True)
class Drain:
    cards: int
    seconds: float
    posted: int
    refused: int
    order_kept: bool
    history_calls: int

    def rate(self, channels: int) -> float:
        return (self.cards - channels) / self.seconds

    @property
    def refused_share(self) -> float:
        return self.refused / max(1, self.posted + self.refused)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=15)
    parser.add_argument("--seconds", type=int, default=40, help="cards per channel")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--bare", choices=["clock", "answer"], help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:
        channels = _channels(args.channels)
        asyncio.run(_post_bare(args.api_url, channels, args.seconds, args.bare == "clock"))
        return
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{scratch}/drain.db"
        run(url, args.channels, args.seconds)


def _channels(count: int) -> list[str]:
    return [f"C0DRAIN{n:02d}" for n in range(count)]


def run(database_url: str, channels: int, seconds: int) -> None:
    names = _channels(channels)
    total = channels * seconds
    drains = {
        "bare, on the clock": _drain_bare(names, seconds, "clock"),
        "bare, after answers": _drain_bare(names, seconds, "answer"),
        "ours (outbox)": _drain_ours(database_url, names, seconds),
    }
    print(f"{channels} channels x {seconds} cards; the fake allows 1 post/s per channel")
    print(f"{'client':<20} {'cards':>6} {'cards/s':>8} {'x cap':>6} {'429s':>5} {'429 %':>6} order")
    for name, drain in drains.items():
        rate = drain.rate(channels)
        kept = "kept" if drain.order_kept else "BROKEN"
        print(
            f"{name:<20} {drain.cards:>6} {rate:>8.2f} {rate / channels:>6.2f} "
            f"{drain.refused:>5} {100 * drain.refused_share:>5.1f}% {kept}"
        )
    _, paced, ours = drains.values()
    ratio = ours.rate(channels) / channels
    print(f"ours / bare after answers: {ours.rate(channels) / paced.rate(channels):.2f}x")
    print(f"ours / cap ({channels} cards/s): {ratio:.2f}x (target >= {TARGET_CAP_RATIO}x)")
    print(
        f"ours 429s: {100 * ours.refused_share:.2f} % of posts "
        f"(target <= {100 * TARGET_REFUSED:.0f} %)"
    )
    print(f"ours conversations.history look-ups (only a retry looks): {ours.history_calls}")
    ok = (
        ratio >= TARGET_CAP_RATIO
        and ours.refused_share <= TARGET_REFUSED
        and ours.order_kept
        and ours.cards == total
    )
    print("PASS" if ok else "MISS")


def _drain_bare(channels: Sequence[str], seconds: int, mode: str) -> Drain:
    with FakeSlackApi().running() as slack:
        limit = slack.limit_per_channel()
        sizes = ["--channels", str(len(channels)), "--seconds", str(seconds)]
        bare = ["--bare", mode, "--api-url", slack.api_url, *sizes]
        client = subprocess.Popen([*_self(), *bare])
        cards, elapsed, order_kept = _watch(
            slack, channels, seconds, lambda: client.poll() is not None
        )
        client.wait()
        return Drain(cards, elapsed, limit.posted, limit.refused, order_kept, 0)


def _drain_ours(database_url: str, channels: Sequence[str], seconds: int) -> Drain:
    with FakeSlackApi().running() as slack:
        limit = slack.limit_per_channel()
        env = _seed(database_url, slack.api_url, channels, seconds)
        port = free_port()
        with server([sys.executable, "app.py", "serve", "--port", str(port)], port, env):
            cards, elapsed, order_kept = _watch(slack, channels, seconds, lambda: False)
            _wait_until_sent(database_url)
        history = len(slack.calls_to("conversations.history"))
        return Drain(cards, elapsed, limit.posted, limit.refused, order_kept, history)


def _self() -> list[str]:
    return [sys.executable, "-m", "benchmarks.outbox_drain"]


def _seed(database_url: str, api_url: str, channels: Sequence[str], seconds: int) -> dict[str, str]:
    """Routes (tag -> channel) and the backlog; returns the server's environment."""
    from bot.domain import Identity, Platform
    from bot.intake import FeedbackDraft

    env = slack_env(database_url, api_url)
    core = routed_core(env, channels)  # no outbox worker here: the intents wait in the outbox
    drafts = [
        FeedbackDraft(source="bench", body=f"Feedback {n}", tags=[channels[n % len(channels)]])
        for n in range(len(channels) * seconds)
    ]
    core.desk.ingest_many(drafts, Identity(Platform.API, "bench", "bench"))
    core.close()
    return env


def _watch(
    slack: FakeSlackApi, channels: Sequence[str], seconds: int, gave_up: Callable[[], bool]
) -> tuple[int, float, bool]:
    """Wait until every card is in; (cards, seconds from the first to the last, order kept)."""
    total = len(channels) * seconds
    deadline = time.monotonic() + 60 + 3 * seconds
    first = last = 0.0
    seen = 0
    while time.monotonic() < deadline:
        count = len(slack.messages)
        now = time.monotonic()
        if count and not first:
            first = now
        if count != seen:
            seen, last = count, now
        if count >= total or (gave_up() and count == seen and now - last > 5):
            break
        time.sleep(0.02)
    order_kept = True
    for channel in channels:
        refs = [int(m.group(1)) for c in slack.cards(channel) if (m := REF.search(c.text))]
        order_kept &= refs == sorted(refs) and len(refs) == len(set(refs)) == seconds
    return len(slack.messages), last - first, order_kept


def _wait_until_sent(database_url: str, timeout: float = 30.0) -> None:
    """The last posts are recorded as sent a moment after Slack has them."""
    from storage.db import create_db_engine
    from storage.uow import SqlStore

    db = SqlStore(create_db_engine(database_url))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with db.read() as uow:
                if uow.outbox.pending() == 0:
                    return
            time.sleep(0.2)
        print("outbox NOT empty at the end")
    finally:
        db.close()


async def _post_bare(
    api_url: str, channels: Sequence[str], seconds: int, on_the_clock: bool
) -> None:
    """Each channel's cards a second apart, on the clock or after each answer; a 429 is
    retried after its Retry-After."""
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=TOKEN, base_url=api_url, retry_handlers=[])
    start = time.monotonic() + 0.5

    async def channel(index: int, name: str) -> None:
        answered = start - 1.0
        for n in range(seconds):
            due = start + n if on_the_clock else answered + 1.0
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            ref = f"FB-{n * len(channels) + index + 1}"
            while True:
                try:
                    await client.chat_postMessage(channel=name, text=f"{ref} · card {n}")
                    answered = time.monotonic()
                    break
                except SlackApiError as error:
                    wait = float(error.response.headers.get("Retry-After", "1"))
                    await asyncio.sleep(wait)

    await asyncio.gather(*(channel(i, name) for i, name in enumerate(channels)))


if __name__ == "__main__":
    main()
