"""What a stranger can send without a secret: every malformed header, oversized or slow body
is a 4xx with a JSON reason and one log line, decided before the body is read where it can be.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import build_core
from bot.config import Settings
from bot.core import Core
from handlers import bodies
from handlers.server import build_server, chat_adapters
from tests.support.fakes.slack_api import FakeSlackApi

SECRET = "slack-signing-secret"
Client = TestClient[Any, Any]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def core(db_url: str, slack: FakeSlackApi) -> Core:
    settings = Settings(
        ALLHANDS_DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        MicrosoftAppId="00000000-0000-0000-0000-00000000a11d",
        MicrosoftAppPassword="unused",
    )
    return build_core(settings)


@pytest.fixture
async def client(core: Core) -> AsyncIterator[Client]:
    adapters, _ = chat_adapters(core, dev=False)
    async with TestClient(TestServer(build_server(core, adapters))) as test_client:
        yield test_client


def signature(stamp: str, body: bytes) -> str:
    return (
        "v0="
        + hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    )


def now() -> str:
    return str(int(time.time()))


HEADERS = {
    "timestamp-not-a-number": ({"X-Slack-Request-Timestamp": "abc"}, 401),
    "timestamp-fractional": ({"X-Slack-Request-Timestamp": "1796179432.5"}, 401),
    "timestamp-400-nines": ({"X-Slack-Request-Timestamp": "9" * 400}, 401),
    "signature-not-ascii": ({"X-Slack-Signature": "v0=é"}, 401),
    "signature-missing": ({"X-Slack-Signature": ""}, 401),
}


@pytest.mark.parametrize(("changes", "status"), HEADERS.values(), ids=HEADERS.keys())
async def test_malformed_signature_headers_are_refused_in_one_line(
    client: Client, changes: dict[str, str], status: int, caplog: pytest.LogCaptureFixture
) -> None:
    body = b'{"type": "url_verification", "challenge": "x"}'
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": now(),
        "X-Slack-Signature": signature(now(), body),
        **changes,
    }
    caplog.set_level(logging.INFO)

    response = await client.post("/slack/events", data=body, headers=headers)

    assert response.status == status
    assert "error" in await response.json()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r.getMessage() for r in caplog.records if r.name == "handlers.slack.adapter"] == [
        f"slack.refused status={status} reason={(await response.json())['error']}"
    ]


async def test_a_signed_body_that_is_not_utf8_is_a_400(client: Client) -> None:
    body = b'{"type": "\xff\xfe"}'
    stamp = now()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(stamp, body),
    }
    response = await client.post("/slack/events", data=body, headers=headers)
    assert response.status == 400
    assert await response.json() == {"error": "not a Slack request body"}


async def test_teams_without_a_token_is_refused_before_its_body_is_read(client: Client) -> None:
    reader, writer = await _raw_request(client, "/api/messages", {"Content-Length": "900000"})
    try:
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    assert b" 401 " in status_line  # answered with most of the declared body never sent


@pytest.mark.parametrize("path", ["/slack/events", "/api/messages", "/api/v1/feedback"])
async def test_a_body_that_trickles_in_is_dropped(
    client: Client, path: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setattr(bodies, "BODY_SECONDS", 0.3)
    headers = {"Content-Length": "1000", "Authorization": "Bearer a.b.c"}
    if path == "/api/v1/feedback":  # read once the token is known good
        headers["Authorization"] = f"Bearer {request.getfixturevalue('token')}"
    if path == "/slack/events":
        headers |= {"X-Slack-Request-Timestamp": now(), "X-Slack-Signature": "v0=" + "0" * 64}
    reader, writer = await _raw_request(client, path, headers, first_bytes=b'{"ty')
    try:
        status_line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    assert b" 408 " in status_line


async def _raw_request(
    client: Client, path: str, headers: dict[str, str], first_bytes: bytes = b""
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A request whose headers are sent and whose body never comes (or only begins)."""
    server = client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    lines = [f"POST {path} HTTP/1.1", f"Host: {server.host}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + first_bytes)
    await writer.drain()
    return reader, writer
