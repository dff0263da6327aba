"""Every log line of a full API session, at DEBUG, holds no token and no configured secret.

The server runs with the access logger `allhands serve` uses.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from app import build_server, cli
from bot.config import Settings
from bot.wiring import Core
from handlers.observability import TEXT_FORMAT, AccessLog, JsonFormatter

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-secretbottoken",
    "SLACK_SIGNING_SECRET": "8f14e45fceea167a5a36dedd4bea2543",
    "SLACK_APP_TOKEN": "xapp-1-secretapptoken",
    "MicrosoftAppPassword": "teams~client~secret~value",
}
ITEM = {"source": "zendesk", "external_id": "z-1", "body": "The export button does nothing"}


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Each record as both formatters write it (JSON adds every `extra` field)."""
    lines: list[str] = []
    text, json_lines = logging.Formatter(TEXT_FORMAT), JsonFormatter()

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.extend((text.format(record), json_lines.format(record)))

    handler = Collect(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


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
    token = cli_token(db_url, "create", "--name", "zendesk")
    revoked = cli_token(db_url, "create", "--name", "old")
    cli_token(db_url, "revoke", "old")
    core = Core.build(Settings(ALLHANDS_DATABASE_URL=db_url))
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
