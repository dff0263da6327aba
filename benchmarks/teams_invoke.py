"""Action.Execute claim invokes per second and p99, beside a bare CloudAdapter, in one run.

Both servers check the same signed tokens (a fake Bot Framework on 127.0.0.1 signs them and
publishes the keys). The baseline is stock botbuilder, a CloudAdapter whose bot only answers
an empty 200 invoke response. Ours is the real server: the Teams adapter (which also reuses
Connector clients that stock botbuilder rebuilds per request), the Desk and the database; it
claims a different item on every request, each with its own activity id (one `wrk` thread, so
the Lua counter is shared) and answers with the refreshed card.

    python benchmarks/teams_invoke.py [--seconds 10] [--connections 4] [--database-url URL]

Target: at least 0.8x the baseline's throughput, p99 under 100 ms at 4 connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
ITEMS = 20_000
LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = string.gsub(wrk.body, "FB%-0\\"", "FB-" .. (counter % ITEMS + 1) .. "\\"")
  body = string.gsub(body, "f:bench%-0\\"", "f:bench-" .. counter .. "\\"")
  return wrk.format(nil, nil, nil, body)
end
"""


def main() -> None:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as scratch:
        url = args.database_url or f"sqlite:///{scratch}/bench.db"
        run(url, args.seconds, args.connections, Path(scratch))


def run(database_url: str, seconds: int, connections: int, scratch: Path) -> None:
    from tests.support.fakes.connector import FakeConnector

    with FakeConnector().running() as connector:
        user = "29:bench-user"
        connector.add_member(user, "bench-aad", "Bench", "bench@example.com")
        baseline_app = _baseline_app(connector)
        ours_app, core = _our_app(connector, database_url)
        activity = _claim_invoke(connector, user)
        headers = {"Authorization": connector.authorization(activity)}
        body = json.dumps(activity)
        results = {}
        for name, app in (("bare CloudAdapter", baseline_app), ("claim", ours_app)):
            port, stop = _serve(app)
            _warm_up(port, body, headers)
            results[name] = _wrk(port, body, headers, seconds, connections, scratch)
            stop()
        core.close()
    _report(results, connections)


def _baseline_app(connector: Any) -> web.Application:
    """Stock botbuilder: CloudAdapter + ConfigurationBotFrameworkAuthentication, empty bot."""
    from types import SimpleNamespace

    from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )
    from botframework.connector.auth import AuthenticationConstants as Constants

    class EmptyInvoke(ActivityHandler):  # type: ignore[misc]
        async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
            return InvokeResponse(status=200)

    config = SimpleNamespace(
        APP_ID=connector.app_id,
        APP_PASSWORD="bench",  # noqa: S106 (the fake signs the tokens)
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=connector.openid_metadata_url,
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=Constants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=Constants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        TO_CHANNEL_FROM_BOT_LOGIN_URL=Constants.TO_CHANNEL_FROM_BOT_LOGIN_URL,
    )
    auth = ConfigurationBotFrameworkAuthentication(
        config, credentials_factory=connector.credentials_factory()
    )
    adapter, bot = CloudAdapter(auth), EmptyInvoke()

    async def messages(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse = await adapter.process(request, bot)
        return response

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


def _our_app(connector: Any, database_url: str) -> tuple[web.Application, Any]:
    from app import build_core
    from bot.config import Settings
    from bot.domain import Identity, Platform
    from bot.intake import FeedbackDraft
    from handlers.server import build_server
    from handlers.teams.adapter import TeamsAdapter, authentication
    from storage.db import upgrade

    upgrade(database_url)
    settings = Settings(
        ALLHANDS_DATABASE_URL=database_url,
        MicrosoftAppId=connector.app_id,
        MicrosoftAppPassword="bench",
    )
    core = build_core(settings)
    drafts = [FeedbackDraft(source="bench", body=f"Feedback {n}") for n in range(ITEMS)]
    core.desk.ingest_many(drafts, Identity(Platform.API, "bench", "bench"))
    auth = authentication(
        settings,
        openid_metadata_url=connector.openid_metadata_url,
        credentials_factory=connector.credentials_factory(),
    )
    teams = TeamsAdapter(core, auth, app_id=connector.app_id, mode="bench")
    return build_server(core, [teams]), core


def _claim_invoke(connector: Any, user: str) -> dict[str, Any]:
    return connector.activity(
        {
            "type": "invoke",
            "name": "adaptiveCard/action",
            "id": "f:bench-0",  # a new id per click, as Teams sends: a repeated id is a replay
            "channelId": "msteams",
            "from": {"id": user, "name": "Bench", "aadObjectId": "bench-aad"},
            "recipient": {"id": f"28:{connector.app_id}", "name": "All Hands"},
            "conversation": {"id": "a:bench", "conversationType": "personal"},
            "channelData": {"tenant": {"id": "bench-tenant"}},
            "value": {
                "action": {
                    "type": "Action.Execute",
                    "verb": "allhands.claim",
                    "data": {"ref": "FB-0"},
                },
                "trigger": "manual",
            },
        }
    )


def _serve(app: web.Application) -> tuple[int, Callable[[], None]]:
    """Run `app` on its own loop in a thread; returns the port and a function that stops it."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    port: list[int] = []
    runner = web.AppRunner(app, access_log=None)

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port.append(runner.addresses[0][1])
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(10)

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)

    return port[0], stop


def _warm_up(port: int, body: str, headers: dict[str, str]) -> None:
    """One request first: it fetches the signing keys and looks the user up."""
    import urllib.request

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/messages",
        data=body.replace('"FB-0"', '"FB-1"').encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (local only)
        assert response.status == 200, response.status


def _wrk(
    port: int, body: str, headers: dict[str, str], seconds: int, connections: int, scratch: Path
) -> tuple[float, float, int]:
    script = scratch / "claim.lua"
    script.write_text(
        f"ITEMS = {ITEMS}\nwrk.method = 'POST'\nwrk.body = {json.dumps(body)}\n" + LUA
    )
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        "-H",
        "Content-Type: application/json",
        "-H",
        f"Authorization: {headers['Authorization']}",
        f"http://127.0.0.1:{port}/api/messages",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = _millis(re.search(r"99%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rate, p99, int(errors.group(1)) if errors else 0


def _millis(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _report(results: dict[str, tuple[float, float, int]], connections: int) -> None:
    print(f"{'server':<20} {'req/s':>9} {'p99 ms':>8} {'non-2xx':>8}")
    for name, (rate, p99, errors) in results.items():
        print(f"{name:<20} {rate:>9.1f} {p99:>8.1f} {errors:>8}")
    (base_rate, base_p99, _), (rate, p99, errors) = results.values()
    ratio = rate / base_rate
    print(f"throughput ratio claim/baseline: {ratio:.2f}x (target >= 0.80x)")
    print(f"p99 ratio claim/baseline: {p99 / base_p99:.2f}x; claim p99 {p99:.1f} ms (target < 100)")
    ok = ratio >= 0.8 and p99 < 100 and errors == 0
    print(f"{'PASS' if ok else 'MISS'} at {connections} connections")


if __name__ == "__main__":
    main()
