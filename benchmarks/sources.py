"""Webhook ingest of signed Zendesk events beside the ingest API, measured in the same run.

Two `allhands serve` processes on SQLite (a database each), driven in turn by closed-loop `wrk`
at 32 connections: `POST /api/v1/feedback` (one new item per request, as `benchmarks.ingest`
sends it), then `POST /sources/helpdesk`, each request a distinct `ticket.created` event built
from Zendesk's own example (`../shared/realdata/sources/zendesk/events/ticket_created.json`,
read at run time) and signed as Zendesk signs. A webhook is answered once it is kept raw; the
inbox worker makes its item after, so the webhook side reports the deliveries answered per
second and the items applied per second from the start of its load until the inbox drained
(the worker steps back while requests crowd, so most are applied after the load).

The pair runs `--rounds` times back to back and the verdict is the median of the paired
ratios, since this machine's pace drifts by more than the margin over a few minutes.
Target: webhook deliveries answered per second >= 0.5x the API's items per second.

Run: python -m benchmarks.sources [--seconds 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import secrets
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.harness import free_port, server, wrk
from benchmarks.ingest import CLI, api_script, api_token, run_cli, server_env
from bot.admin.secrets import new_key
from tests.support.realdata import REALDATA

TARGET_RATIO = 0.5
CONNECTIONS = 32
SOURCE = "helpdesk"
SECRET = secrets.token_urlsafe(24)  # the webhook's signing secret, made up for the run
SIGNED_AT = "2026-12-02T09:00:00Z"
THREADS = 2  # wrk's, as `benchmarks.harness.wrk` runs it
TICKETS_PER_ROUND = 10_000_000  # ticket ids of round r start at r times this
DRAIN_TIMEOUT_SECONDS = 600.0

# Each wrk thread reads its own file of "signature<TAB>body" lines, one request per line.
WEBHOOK_SCRIPT = """
local thread_id = 0
setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end
local next_line = nil
request = function()
  if next_line == nil then next_line = io.lines(prefix .. tid) end
  local line = next_line()
  if line == nil then
    next_line = io.lines(prefix .. tid)
    line = next_line()
  end
  local tab = string.find(line, "\\t", 1, true)
  return wrk.format("POST", "/sources/helpdesk", {
    ["Content-Type"] = "application/json",
    ["X-Zendesk-Webhook-Signature"] = string.sub(line, 1, tab - 1),
    ["X-Zendesk-Webhook-Signature-Timestamp"] = signed_at,
  }, string.sub(line, tab + 1))
end
"""


@dataclass(frozen=True)
class Round:
    api_rate: float
    api_p99_ms: float
    answered_rate: float
    answered_p99_ms: float
    errors: int
    kept: int  # deliveries kept in this round
    applied: int  # items they made
    during: int  # of which while wrk ran
    seconds_to_drain: float
    applied_rate: float  # items per second, from the start of the load until drained
    drained: bool

    @property
    def ratio(self) -> float:
        return self.answered_rate / self.api_rate


def signed_events(count: int, first_ticket: int) -> list[str]:
    """`count` distinct ticket.created deliveries as "signature<TAB>body" lines."""
    example = json.loads(
        (REALDATA / "sources" / "zendesk" / "events" / "ticket_created.json").read_text()
    )
    run = time.time_ns()
    lines = []
    for n in range(count):
        event: dict[str, Any] = copy.deepcopy(example)
        ticket = event["detail"]
        ticket["id"] = str(first_ticket + n)
        ticket["description"] = f"{ticket['description']} (customer {n})"
        event["id"] = f"bench-{run}-{n}"
        event["subject"] = f"zen:ticket:{ticket['id']}"
        body = json.dumps(event, separators=(",", ":"))
        mac = hmac.new(SECRET.encode(), SIGNED_AT.encode() + body.encode(), hashlib.sha256)
        lines.append(f"{base64.b64encode(mac.digest()).decode()}\t{body}")
    return lines


def webhook_script(workdir: Path, count: int, first_ticket: int) -> str:
    events = signed_events(count, first_ticket)
    prefix = workdir / f"events-{first_ticket}-"
    for thread in range(1, THREADS + 1):
        share = events[thread - 1 :: THREADS]
        Path(f"{prefix}{thread}").write_text("\n".join(share) + "\n")
    return f'prefix = "{prefix}"\nsigned_at = "{SIGNED_AT}"\n{WEBHOOK_SCRIPT}'


def counts(db_path: Path) -> tuple[int, int, int]:
    """(items made from the source, deliveries kept, deliveries still waiting in the inbox)."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return tuple(  # type: ignore[return-value]
            int(connection.execute(query, args).fetchone()[0])
            for query, args in (
                ("SELECT count(*) FROM feedback WHERE source = ?", (SOURCE,)),
                ("SELECT count(*) FROM source_deliveries", ()),
                ("SELECT count(*) FROM inbox WHERE done_at IS NULL AND platform = 'source'", ()),
            )
        )
    finally:
        connection.close()


def one_round(
    number: int, api_url: str, token: str, hooks_url: str, db_path: Path, seconds: int
) -> Round:
    api = wrk(api_url, api_script(token), CONNECTIONS, seconds)
    # Enough distinct events for three times the API's pace: a repeated one would be a retry.
    count = max(10_000, int(api.rate * seconds * 3))
    script = webhook_script(db_path.parent, count, number * TICKETS_PER_ROUND)
    items_before, kept_before, _ = counts(db_path)
    started = time.monotonic()
    hooks = wrk(hooks_url, script, CONNECTIONS, seconds)
    loaded = time.monotonic()
    during, _, waiting = counts(db_path)
    while waiting and time.monotonic() - loaded < DRAIN_TIMEOUT_SECONDS:
        time.sleep(0.2)
        _, _, waiting = counts(db_path)
    done = time.monotonic()
    items, kept, _ = counts(db_path)
    if kept - kept_before > count:
        raise SystemExit(f"{kept - kept_before} deliveries kept but only {count} made")
    return Round(
        api.rate,
        api.p99_ms,
        hooks.rate,
        hooks.p99_ms,
        api.errors + hooks.errors,
        kept - kept_before,
        items - items_before,
        during - items_before,
        done - loaded,
        (items - items_before) / (done - started),
        not waiting,
    )


def bench(workdir: Path, seconds: int, rounds: int) -> list[str]:
    api_env = server_env(workdir / "api.db")
    token = api_token(api_env)
    db_path = workdir / "sources.db"
    env = server_env(db_path) | {"ALLHANDS_SECRET_KEY": new_key()}
    run_cli(env, "db", "upgrade")
    run_cli(env, "sources", "add", "zendesk", SOURCE, "--secret", SECRET)
    api_port, hooks_port = free_port(), free_port()
    done: list[Round] = []
    with (
        server([*CLI, "serve", "--port", str(api_port)], api_port, api_env),
        server([*CLI, "serve", "--port", str(hooks_port)], hooks_port, env),
    ):
        for number in range(1, rounds + 1):
            urls = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{hooks_port}"
            done.append(one_round(number, urls[0], token, urls[1], db_path, seconds))
    lines = [_round_line(number, each) for number, each in enumerate(done, 1)]
    ratio = statistics.median(each.ratio for each in done)
    applied = statistics.median(each.applied_rate / each.api_rate for each in done)
    lines += [
        f"errors: {sum(each.errors for each in done)}",
        f"median ratio, webhooks answered / API items: {ratio:.2f}x "
        f"(target >= {TARGET_RATIO}x: {'met' if ratio >= TARGET_RATIO else 'MISSED'}); "
        f"items applied / API items: {applied:.2f}x",
    ]
    return lines


def _round_line(number: int, each: Round) -> str:
    return (
        f"round {number}: API {each.api_rate:.0f} items/s (p99 {each.api_p99_ms:.0f} ms); "
        f"webhooks {each.answered_rate:.0f} answered/s (p99 {each.answered_p99_ms:.0f} ms), "
        f"ratio {each.ratio:.2f}x; {each.applied} items of {each.kept} deliveries, "
        f"{each.during} during the load, the rest drained in {each.seconds_to_drain:.1f} s"
        f"{'' if each.drained else ' (NOT drained)'}: {each.applied_rate:.0f} applied/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--rounds", type=int, default=3, help="API / webhook pairs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print("\n".join(bench(Path(tmp), args.seconds, args.rounds)))


if __name__ == "__main__":
    main()
