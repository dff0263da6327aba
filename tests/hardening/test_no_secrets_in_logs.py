"""Every log line of a full run, at DEBUG, holds no token and no configured secret.

The server runs with the access logger `allhands serve` uses; every logger, the libraries'
included, writes at DEBUG while the test runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from app import cli
from bot.admin.webhooks import SIGNATURE_HEADER
from bot.core import Core
from bot.domain import Platform, State
from handlers.observability import TEXT_FORMAT, AccessLog, JsonFormatter
from handlers.server import build_server
from handlers.slack.ids import SlackId
from tests.support.core import make_core
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import BOT_USER
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.servers import both_adapters, both_platforms
from tests.support.slack_payloads import CARDS, SlackSender, block_action, event, signature_headers
from tests.support.teams import claim_invoke, recording

# no_internet keeps every call on this machine.
pytestmark = pytest.mark.usefixtures("no_internet")
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-secretbottoken",
    "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
    "SLACK_APP_TOKEN": "xapp-1-secretapptoken",
    "MicrosoftAppPassword": "teams~client~secret~value",
}
ITEM = {"source": "zendesk", "external_id": "z-1", "body": "The export button does nothing"}


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Each record as both formatters write it (JSON adds every `extra` field).

    Every logger known so far is set to DEBUG (libraries such as SQLAlchemy set their own
    quieter level), and loggers that do not propagate get the collector too. The one exception
    is SQLAlchemy's engine, kept at INFO: it logs every statement there, while its DEBUG adds a
    dump of every result row, which is the stored data itself and no log level.
    """
    lines: list[str] = []
    text, json_lines = logging.Formatter(TEXT_FORMAT), JsonFormatter()

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.extend((text.format(record), json_lines.format(record)))

    handler = Collect(logging.DEBUG)
    root = logging.getLogger()
    loggers = [root] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    levels = [(logger, logger.level) for logger in loggers]
    isolated = [logger for logger in loggers if not logger.propagate]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine.Engine").setLevel(logging.INFO)
    for logger in [root, *isolated]:
        logger.addHandler(handler)
    yield lines
    for logger in [root, *isolated]:
        logger.removeHandler(handler)
    for logger, level in levels:
        logger.setLevel(level)


def cli_token(db_url: str, *args: str) -> str:
    env = {"ALLHANDS_DATABASE_URL": db_url, "ALLHANDS_LOG_LEVEL": "DEBUG", **SECRETS}
    result = CliRunner().invoke(cli, ["token", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


async def test_a_full_api_session_logs_no_token_or_secret(
    db_url: str, log_lines: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    token = cli_token(db_url, "create", "--name", "zendesk", "--read")
    revoked = cli_token(db_url, "create", "--name", "old")
    cli_token(db_url, "revoke", "old")
    core = make_core(db_url)  # the secrets come from the environment, as in production
    auth = {"Authorization": f"Bearer {token}"}
    near_miss = token[:-4] + "abcd"
    server = TestServer(build_server(core, []))
    await server.start_server(access_log_class=AccessLog)
    async with TestClient(server) as client:
        assert (await client.post("/api/v1/feedback", json=ITEM, headers=auth)).status == 201
        assert (await client.post("/api/v1/feedback", json=ITEM, headers=auth)).status == 200
        ref = "FB-1"
        calls = [
            ("GET", f"/api/v1/feedback/{ref}", auth, None),
            ("GET", "/api/v1/feedback?limit=1", auth, None),
            ("POST", f"/api/v1/feedback/{ref}/comments", auth, {"text": f"key {token}"}),
            ("POST", "/api/v1/feedback/batch", auth, {"items": [{"source": "x"}]}),
            ("POST", "/api/v1/feedback", auth, {"source": "email", "body": "", "t": token}),
            ("POST", "/api/v1/feedback", {"Authorization": f"Bearer {revoked}"}, ITEM),
            ("POST", "/api/v1/feedback", {"Authorization": f"Bearer {near_miss}"}, ITEM),
            ("POST", "/api/v1/feedback", {"Authorization": f"Basic {token}"}, ITEM),
            ("GET", f"/api/v1/feedback?cursor={token}", auth, None),
            ("GET", f"/no-such-page?token={token}", auth, None),
        ]
        statuses = []
        for method, path, headers, body in calls:
            response = await client.request(method, path, headers=headers, json=body)
            statuses.append(response.status)
        assert statuses == [200, 200, 201, 422, 422, 401, 401, 401, 422, 404]
    cli_token(db_url, "revoke", "zendesk")

    assert any("feedback.changed" in line for line in log_lines)
    assert any("http.request" in line for line in log_lines)
    secrets = {token, token[3:], revoked, revoked[3:], near_miss, *SECRETS.values()}
    leaks = [(line, secret) for line in log_lines for secret in secrets if secret in line]
    assert leaks == []


@dataclass
class Hook:
    """A customer's webhook endpoint: keeps each delivery whose signature checks out."""

    secret: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        stamp, mac = (p.split("=", 1)[1] for p in request.headers[SIGNATURE_HEADER].split(","))
        expected = hmac.new(self.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        if not hmac.compare_digest(mac, expected.hexdigest()):
            return web.Response(status=401)
        self.received.append(json.loads(body))
        return web.Response(status=200)


@needs_realdata
async def test_a_full_run_on_every_surface_logs_no_token_or_secret(
    db_url: str, log_lines: list[str], connector: FakeConnector, slack: FakeSlackApi
) -> None:
    """API, CLI, Slack (signed requests, Web API calls), Teams (signed activities, Connector
    calls) and a signed webhook, with every secret configured, good and bad requests alike."""
    env = {"ALLHANDS_DATABASE_URL": db_url, "ALLHANDS_LOG_LEVEL": "DEBUG", **SECRETS}
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.stdout.strip().splitlines()[-1]

    token = run("token", "create", "--name", "zendesk", "--read")
    revoked = run("token", "create", "--name", "old")
    run("token", "revoke", "old")
    hook = Hook()
    receiver = web.Application()
    receiver.router.add_post("/hook", hook.handle)
    async with TestServer(receiver) as hook_server:
        hook.secret = run("webhooks", "add", "crm", str(hook_server.make_url("/hook")))
        secrets = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "MicrosoftAppPassword")
        settings = both_platforms(slack, connector) | {name: SECRETS[name] for name in secrets}
        core = make_core(db_url, None, **settings, ALLHANDS_LOG_LEVEL="DEBUG")
        server = TestServer(build_server(core, both_adapters(core, connector)))
        await server.start_server(access_log_class=AccessLog)
        channel_tokens: list[str] = []
        async with TestClient(server) as client:
            statuses = await _one_of_everything(
                client, core, connector, token, revoked, channel_tokens
            )
            await eventually(lambda: len(hook.received) >= 3)
    run("token", "revoke", "zendesk")

    assert statuses == [201, 201, 201, 200, 200, 200, 401, 401, 401, 201, 401, 400, 401]
    assert sorted(h["event"] for h in hook.received) == [
        "feedback.claimed",
        "feedback.claimed",
        "feedback.commented",
    ]
    logged_by = {line.split(" ", 4)[3] for line in log_lines[::2]}
    for library in (
        "aiohttp.access",
        "msrest.universal_http",
        "slack_bolt.AsyncApp",
        "slack_sdk.web.async_base_client",
        "sqlalchemy.engine.Engine",
    ):
        assert library in logged_by, " ".join(sorted(logged_by))
    secrets = {
        token,
        token[3:],
        revoked,
        revoked[3:],
        hook.secret,
        *SECRETS.values(),
        *(t.removeprefix("Bearer ") for t in channel_tokens),
    }
    leaks = [
        (line[:200], secret[:12]) for line in log_lines for secret in secrets if secret in line
    ]
    assert leaks == []


async def _one_of_everything(
    client: TestClient[Any, Any],
    core: Core,
    connector: FakeConnector,
    token: str,
    revoked: str,
    channel_tokens: list[str],
) -> list[int]:
    """One request of every kind the server takes, good and bad; their statuses in order."""
    auth = {"Authorization": f"Bearer {token}"}
    sender = SlackSender(client, SECRETS["SLACK_SIGNING_SECRET"])

    async def teams(activity: dict[str, Any], authorization: str | None = None) -> int:
        activity = connector.activity(activity)
        header = authorization or connector.authorization(activity)
        channel_tokens.append(header)
        response = await client.post(
            "/api/messages", json=activity, headers={"Authorization": header}
        )
        return response.status

    statuses = [await teams(recording("conversation_update_bot_added_to_team.json"))]
    for n in (1, 2):
        item = {"source": "zendesk", "external_id": f"z-{n}", "body": f"Problem {n}"}
        statuses.append((await client.post("/api/v1/feedback", json=item, headers=auth)).status)
    await settle(core.db)
    with core.db.read() as uow:
        copies = {c.platform: c.message_id for c in uow.cards.for_item(1)}
        teams_card = {c.platform: c.message_id for c in uow.cards.for_item(2)}[Platform.TEAMS]
    ts = str(copies[Platform.SLACK]).split(":")[-1]

    click = block_action(SlackId.CLAIM, "FB-1", "UANA", message_ts=ts)
    statuses.append((await sender.interactive(click)).status)
    await eventually(lambda: core.desk.get("FB-1").state is State.CLAIMED)
    statuses.append(await teams(claim_invoke("allhands.claim", "FB-2", str(teams_card))))
    heart = event(
        "reaction_added.json",
        "EvHeart",
        user="UBEN",
        reaction="heart",
        item={"type": "message", "channel": CARDS, "ts": ts},
        item_user=BOT_USER,
    )
    statuses.append((await sender.event(heart)).status)
    body = json.dumps({"type": "url_verification", "challenge": "c"})
    for headers in (
        signature_headers(body, secret="wrong"),
        signature_headers(body, SECRETS["SLACK_SIGNING_SECRET"], at=1_000_000_000),
    ):
        response = await client.post(
            "/slack/events", data=body, headers={"Content-Type": "application/json", **headers}
        )
        statuses.append(response.status)
    message = connector.activity(recording("message_channel_with_mention.json"))
    statuses.append(await teams(message, connector.authorization(message, aud="someone-else")))
    # Not a secret in the text: slack_sdk logs each message it sends at DEBUG, customer text too.
    comment = {"text": "Called the customer back"}
    response = await client.post("/api/v1/feedback/FB-1/comments", json=comment, headers=auth)
    statuses.append(response.status)
    stale = {"Authorization": f"Bearer {revoked}"}
    statuses.append((await client.get("/api/v1/feedback", headers=stale)).status)
    garbage = await client.post(
        "/api/messages",
        data=b"{" * 10,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    statuses.append(garbage.status)
    statuses.append((await client.get(f"/api/v1/feedback?t={token}")).status)
    await settle(core.db)
    return statuses
