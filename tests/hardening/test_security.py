"""The security cases of production hardening, each through the real server from app.py.

Every test here fails without the protection it names: request signing and its five-minute
window, one handling per delivery id, token revocation, body size and depth limits, content
types, bound SQL parameters, and customer text that stays text in Slack and Teams.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient
from click.testing import CliRunner
from sqlalchemy import text

import bot.access.tokens
from app import cli
from bot.core import Core
from bot.domain import Platform, State
from bot.ports.records import ListFilter
from handlers.chat import ChatAdapter
from handlers.slack.adapter import ROUTE as SLACK_ROUTE
from handlers.slack.ids import SlackId
from handlers.teams.adapter import ROUTE as TEAMS_ROUTE
from tests.support.eventually import eventually
from tests.support.fakes.connector import FakeConnector
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.fakes.slack_workspace import BOT_USER
from tests.support.outbox import settle
from tests.support.realdata import needs_realdata
from tests.support.servers import both_adapters, both_platforms
from tests.support.slack_payloads import CARDS, block_action, event, signature_headers
from tests.support.teams import CHANNEL, claim_invoke, recording

# no_internet keeps every call on this machine.
pytestmark = pytest.mark.usefixtures("no_internet")
Client = TestClient[Any, Any]
FORM = "application/x-www-form-urlencoded"


@dataclass
class Chat:
    """The server with the API, Slack (against the fake Web API) and Teams (fake connector)."""

    core: Core
    client: Client
    slack: FakeSlackApi
    connector: FakeConnector
    auth: dict[str, str]

    async def teams_post(self, activity: dict[str, Any], authorization: str = "") -> Any:
        activity = self.connector.activity(activity)
        header = authorization or self.connector.authorization(activity)
        return await self.client.post(TEAMS_ROUTE, json=activity, headers={"Authorization": header})


@pytest.fixture
def core_settings(slack: FakeSlackApi, connector: FakeConnector) -> dict[str, Any]:
    return both_platforms(slack, connector)


@pytest.fixture
def adapters(core: Core, connector: FakeConnector) -> list[ChatAdapter]:
    return both_adapters(core, connector)


@pytest.fixture
async def chat(
    core: Core,
    client: Client,
    connector: FakeConnector,
    slack: FakeSlackApi,
    auth: dict[str, str],
) -> Chat:
    chat = Chat(core, client, slack, connector, auth)
    installed = await chat.teams_post(recording("conversation_update_bot_added_to_team.json"))
    assert installed.status == 201
    return chat


async def _ingest(chat: Chat, item: dict[str, Any]) -> str:
    """Log `item` over the API and wait until its cards are posted; returns its ref."""
    response = await chat.client.post("/api/v1/feedback", json=item, headers=chat.auth)
    assert response.status == 201, await response.text()
    ref: str = (await response.json())["ref"]
    await settle(chat.core.db)
    return ref


def _card_copy(chat: Chat, ref: str, platform: Platform) -> str:
    """The platform's message id of the item's card (for Slack, its ts)."""
    with chat.core.db.read() as uow:
        copies = uow.cards.for_item(chat.core.desk.get(ref).id)
    (message_id,) = [c.message_id for c in copies if c.platform is platform]
    assert message_id is not None
    return message_id.split(":")[-1]


def _events(chat: Chat, ref: str) -> list[str]:
    with chat.core.db.read() as uow:
        return [e.kind.value for e in uow.events.for_item(chat.core.desk.get(ref).id)]


# ---- Slack: signatures, the five-minute window, replays ------------------------------------


@needs_realdata
@pytest.mark.parametrize(("age_seconds", "status"), [(0, 200), (240, 200), (310, 401), (-310, 401)])
async def test_a_slack_request_signed_more_than_five_minutes_away_is_refused(
    chat: Chat, age_seconds: int, status: int
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "c"})
    headers = signature_headers(body, at=int(time.time()) - age_seconds)
    response = await chat.client.post(
        SLACK_ROUTE, data=body, headers={"Content-Type": "application/json", **headers}
    )
    assert response.status == status


def _reaction(kind: str, event_id: str, user: str, ts: str) -> dict[str, Any]:
    file = "reaction_added.json" if kind == "added" else "ReactionRemovedPayload.json"
    item = {"type": "message", "channel": CARDS, "ts": ts}
    return event(file, event_id, user=user, reaction="eyes", item=item, item_user=BOT_USER)


def _signed(payload: dict[str, Any], *, form: bool) -> tuple[str, dict[str, str]]:
    """A request body and its headers, signed once, as Slack sent them."""
    body = urlencode({"payload": json.dumps(payload)}) if form else json.dumps(payload)
    content_type = FORM if form else "application/json"
    return body, {"Content-Type": content_type, **signature_headers(body)}


@needs_realdata
@pytest.mark.parametrize("kind", ["button", "reaction"])
async def test_replaying_a_signed_slack_request_changes_nothing(chat: Chat, kind: str) -> None:
    """Within the five minutes a captured claim is still validly signed; its id stops it.

    Replayed after the holder gave the item back, it would claim the item again.
    """
    ref = await _ingest(chat, {"source": "zendesk", "body": "Export is broken"})
    ts = _card_copy(chat, ref, Platform.SLACK)
    if kind == "button":
        claim = _signed(block_action(SlackId.CLAIM, ref, "UANA", message_ts=ts), form=True)
        unclaim = _signed(block_action(SlackId.UNCLAIM, ref, "UANA", message_ts=ts), form=True)
    else:
        claim = _signed(_reaction("added", "EvClaim", "UANA", ts), form=False)
        unclaim = _signed(_reaction("removed", "EvUnclaim", "UANA", ts), form=False)

    def updates() -> int:
        return len([c for c in chat.slack.calls_to("chat.update") if c.args["ts"] == ts])

    async def send(request: tuple[str, dict[str, str]]) -> None:
        body, headers = request
        assert (await chat.client.post(SLACK_ROUTE, data=body, headers=headers)).status == 200

    await send(claim)
    await eventually(lambda: chat.core.desk.get(ref).state is State.CLAIMED and updates() == 1)
    await send(unclaim)
    await eventually(lambda: chat.core.desk.get(ref).state is State.OPEN and updates() == 2)

    await send(claim)  # the same bytes, the same signature: stored before the ack, or not
    await eventually(lambda: chat.core.inbox.pending() == 0)  # (it would be handled by now)
    await settle(chat.core.db)

    assert chat.core.desk.get(ref).state is State.OPEN
    assert _events(chat, ref) == ["ingested", "claimed", "unclaimed"]
    assert updates() == 2
    assert chat.slack.calls_to("chat.postEphemeral") == []


# ---- Teams: a replayed invoke ----------------------------------------------------------------


@needs_realdata
async def test_replaying_a_signed_teams_click_changes_nothing(chat: Chat) -> None:
    """The channel's token is valid for an hour; a captured click must not run twice."""
    ref = await _ingest(chat, {"source": "zendesk", "body": "Export is broken"})
    card_id = _card_copy(chat, ref, Platform.TEAMS)
    claim = chat.connector.activity(claim_invoke("allhands.claim", ref, card_id))
    signed = chat.connector.authorization(claim)

    assert (await chat.teams_post(claim, signed)).status == 200
    unclaim = claim_invoke("allhands.unclaim", ref, card_id)
    assert (await chat.teams_post(unclaim)).status == 200
    assert chat.core.desk.get(ref).state is State.OPEN
    await settle(chat.core.db)
    puts = len(chat.connector.sent("PUT"))

    replayed = await chat.teams_post(claim, signed)
    await settle(chat.core.db)

    assert replayed.status == 200
    assert chat.core.desk.get(ref).state is State.OPEN
    assert _events(chat, ref) == ["ingested", "claimed", "unclaimed"]
    assert len(chat.connector.sent("PUT")) == puts


# ---- API tokens: revoked from the command line, or wrong -------------------------------------


def _cli(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env={"ALLHANDS_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


async def test_a_token_revoked_from_the_cli_is_refused_by_the_running_server(
    db_url: str, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI is another process: the server learns of the revocation within its cache time."""
    token = _cli(db_url, "token", "create", "--name", "zendesk")
    unused = _cli(db_url, "token", "create", "--name", "spare")
    item = {"source": "email", "body": "Hello"}

    async def status(bearer: str) -> int:
        headers = {"Authorization": f"Bearer {bearer}"}
        return (await client.post("/api/v1/feedback", json=item, headers=headers)).status

    assert await status(token) == 201
    _cli(db_url, "token", "revoke", "zendesk")
    _cli(db_url, "token", "revoke", "spare")
    assert await status(unused) == 401  # never cached: refused at once

    later = time.monotonic() + 60  # past any remembered answer
    monkeypatch.setattr(bot.access.tokens, "time", SimpleNamespace(monotonic=lambda: later))
    assert await status(token) == 401

    fresh = _cli(db_url, "token", "create", "--name", "zendesk-2")
    near_miss = fresh[:-1] + ("A" if fresh[-1] != "A" else "B")
    assert [await status(t) for t in (fresh, near_miss, fresh.upper())] == [201, 401, 401]


# ---- bodies: too big, too deep, garbage, the wrong type --------------------------------------


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    """A body sent without Content-Length, so only reading it shows its size."""
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]


def _json_text(size: int) -> bytes:
    return b'{"source": "email", "body": "' + b"x" * size + b'"}'


@needs_realdata
@pytest.mark.parametrize("streamed", [False, True], ids=["with-length", "chunked"])
async def test_oversize_bodies_are_refused_on_every_route(chat: Chat, streamed: bool) -> None:
    ref = await _ingest(chat, {"source": "email", "body": "Hello"})
    routes = {
        "/api/v1/feedback": 256 * 1024,
        f"/api/v1/feedback/{ref}/comments": 256 * 1024,
        "/api/v1/feedback/batch": 8 * 1024 * 1024,
        SLACK_ROUTE: 1024 * 1024,
        TEAMS_ROUTE: 1024 * 1024,
    }
    # Slack's signature headers must look right before its body is read at all.
    slack_headers = signature_headers("not this body")
    for path, limit in routes.items():
        data = _json_text(limit)
        body: Any = _chunks(data) if streamed else data
        headers = {**chat.auth, "Content-Type": "application/json"}
        if path == SLACK_ROUTE:
            headers |= slack_headers
        response = await chat.client.post(path, data=body, headers=headers)
        assert response.status == 413, path
    assert len(chat.core.desk.search(ListFilter())) == 1


@pytest.mark.parametrize("streamed", [False, True], ids=["with-length", "chunked"])
async def test_a_large_body_within_the_limit_is_read_whole(
    client: Client, auth: dict[str, str], streamed: bool
) -> None:
    """The size check reads up to the limit: stopping at the first piece would cut the JSON."""
    items = [{"source": "email", "body": "y" * 10_000, "external_id": f"e{n}"} for n in range(300)]
    data = json.dumps({"items": items}).encode()
    assert len(data) > 2 * 1024 * 1024
    body: Any = _chunks(data) if streamed else data
    headers = {**auth, "Content-Type": "application/json"}
    response = await client.post("/api/v1/feedback/batch", data=body, headers=headers)
    assert response.status == 200, await response.text()
    assert len((await response.json())["results"]) == 300


def _deep(depth: int) -> bytes:
    """Valid JSON nested `depth` arrays deep inside an otherwise plausible object."""
    return b'{"type": "message", "source": "email", "body": "x", "tags": ' + (
        b"[" * depth + b"]" * depth + b"}"
    )


GARBAGE = {
    "deep": _deep(100_000),
    "unclosed": b'{"type": "message", ',
    "array": b'[{"type": "message"}]',
    "string": b'"message"',
    "not-utf8": b'{"type": "\xff\xfe"}',
    "wrong-types": b'{"type": "message", "conversation": "x", "timestamp": "soon"}',
}


@needs_realdata
@pytest.mark.parametrize("body", GARBAGE.values(), ids=GARBAGE.keys())
async def test_garbage_json_is_a_4xx_on_the_api_and_teams_routes(
    chat: Chat, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """Nobody needs a token to send these; none may cost a 500 and a traceback in the log."""
    ref = await _ingest(chat, {"source": "email", "body": "Hello"})
    caplog.set_level(logging.ERROR)
    for path in (
        "/api/v1/feedback",
        "/api/v1/feedback/batch",
        f"/api/v1/feedback/{ref}/comments",
        TEAMS_ROUTE,
    ):
        headers = {**chat.auth, "Content-Type": "application/json"}
        response = await chat.client.post(path, data=body, headers=headers)
        assert 400 <= response.status < 500, (path, response.status)
    assert caplog.records == []


@needs_realdata
@pytest.mark.parametrize(
    "body",
    [pytest.param(body, id=name) for name, body in GARBAGE.items()],
)
async def test_unsigned_garbage_to_slack_is_refused_as_unsigned(chat: Chat, body: bytes) -> None:
    for content_type in ("application/json", FORM):
        data = b"payload=" + body if content_type == FORM else body
        response = await chat.client.post(
            SLACK_ROUTE, data=data, headers={"Content-Type": content_type}
        )
        assert response.status == 401, content_type


@needs_realdata
@pytest.mark.parametrize(
    "content_type", [None, "text/plain", FORM, "application/xml", "multipart/form-data"]
)
async def test_bodies_that_are_not_json_are_refused_as_such(
    chat: Chat, content_type: str | None
) -> None:
    ref = await _ingest(chat, {"source": "email", "body": "Hello"})
    body = json.dumps({"source": "email", "body": "Hi", "type": "message"}).encode()
    headers = {**chat.auth, **({"Content-Type": content_type} if content_type else {})}
    skip = [] if content_type else ["Content-Type"]
    for path in ("/api/v1/feedback", "/api/v1/feedback/batch", f"/api/v1/feedback/{ref}/comments"):
        response = await chat.client.post(path, data=body, headers=headers, skip_auto_headers=skip)
        assert response.status == 415, path
    service = {"serviceUrl": chat.connector.service_url}
    teams = await chat.client.post(
        TEAMS_ROUTE,
        data=body,
        headers={**headers, "Authorization": chat.connector.authorization(service)},
        skip_auto_headers=skip,
    )
    assert teams.status == 415
    slack = await chat.client.post(SLACK_ROUTE, data=body, headers=headers, skip_auto_headers=skip)
    assert slack.status == 401
    assert len(chat.core.desk.search(ListFilter())) == 1


# ---- SQL-looking text: stored and returned as written, on both engines ----------------------

SQL = "'); DROP TABLE feedback; --"


async def test_sql_looking_text_is_stored_verbatim_and_matches_nothing_but_itself(
    client: Client, auth: dict[str, str], core: Core
) -> None:
    item: dict[str, Any] = {
        "source": "email",
        "external_id": "x' OR '1'='1",
        "title": f"Robert{SQL}",
        "body": "'); DELETE FROM api_tokens; -- 100% of_users \\ \" ; /* */",
        "tags": ["%", "_", "' or 1=1 --"],
        "product_area": "%_%",
        "customer": {"name": "O'Brien\"; DELETE FROM people; --", "company": "100%_Co"},
    }
    created = await client.post("/api/v1/feedback", json=item, headers=auth)
    assert created.status == 201, await created.text()
    ref = (await created.json())["ref"]
    comment = await client.post(
        f"/api/v1/feedback/{ref}/comments", json={"text": SQL}, headers=auth
    )
    assert comment.status == 201

    shown = await (await client.get(f"/api/v1/feedback/{ref}", headers=auth)).json()
    for field in ("external_id", "title", "body", "product_area"):
        assert shown[field] == item[field], field
    assert shown["tags"] == item["tags"]
    assert shown["customer"]["name"] == item["customer"]["name"]
    assert [c["text"] for c in shown["comments"]] == [SQL]

    # `%` and `_` are characters, not wildcards: each external id and key is its own item.
    others = [
        ({"source": "email", "external_id": "%", "body": "a"}, {}),
        ({"source": "email", "external_id": "_", "body": "b"}, {}),
        ({"source": "e_ail", "body": "c"}, {"Idempotency-Key": "%"}),
        ({"source": "e_ail", "body": "d"}, {"Idempotency-Key": "_"}),
    ]
    for other, headers in others:
        response = await client.post("/api/v1/feedback", json=other, headers={**auth, **headers})
        assert response.status == 201, other

    async def sources(value: str) -> list[str]:
        response = await client.get("/api/v1/feedback", params={"source": value}, headers=auth)
        assert response.status == 200
        return [i["body"] for i in (await response.json())["items"]]

    assert len(await sources("email")) == 3
    assert await sources("e_ail") == ["c", "d"]
    for pattern in ("%", "_mail", "emai_", "email' OR '1'='1", f"email{SQL}"):
        assert await sources(pattern) == [], pattern

    with core.db.read() as uow:
        count = uow.session.execute(text("SELECT count(*) FROM feedback")).scalar_one()
    assert count == 5


# ---- markup-looking text: inert on the cards and notes each platform receives --------------

MARKUP = (
    "Hey <!channel> <!here> <!everyone> @channel @here @everyone <@U123> <!subteam^S0TEAM> "
    "<at>Rido</at> <https://evil.example|click> & <b>bold</b> <script>alert(1)</script>"
)
LIVE_IN_SLACK = ("<!channel", "<!here", "<!everyone", "<@U123", "<@U999", "<!subteam", "<https")
BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def _slack_texts(args: dict[str, Any]) -> list[str]:
    """The message's notification text and every mrkdwn text in its blocks."""
    found = [str(args.get("text", ""))]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn":
                found.append(str(value["text"]))
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(args.get("blocks") or [])
    return found


def _assert_inert_in_slack(shown: str) -> None:
    assert not [live for live in LIVE_IN_SLACK if live in shown], shown
    assert "<script" not in shown
    assert "<b>" not in shown
    assert BROADCAST.search(shown) is None, shown


def _assert_no_mentions_in_teams(body: dict[str, Any]) -> None:
    assert not body.get("entities")
    for attachment in body.get("attachments") or []:
        assert "msteams" not in attachment["content"]
    assert '"mention"' not in json.dumps(body)


@needs_realdata
async def test_markup_in_customer_text_mentions_nobody_in_slack_or_teams(chat: Chat) -> None:
    ref = await _ingest(
        chat,
        {
            "source": "zendesk",
            "title": "<script>alert(1)</script> <!channel> @everyone",
            "body": MARKUP,
            "tags": ["<!everyone>"],
            "product_area": "<@U123>",
            "customer": {"name": "<@U999> <at>Mallory</at>", "company": "<!here> & Co"},
        },
    )
    comment = await chat.client.post(
        f"/api/v1/feedback/{ref}/comments", json={"text": MARKUP}, headers=chat.auth
    )
    assert comment.status == 201
    await settle(chat.core.db)
    ts = _card_copy(chat, ref, Platform.SLACK)
    card_id = _card_copy(chat, ref, Platform.TEAMS)

    posts = [c.args for c in chat.slack.calls_to("chat.postMessage")]
    assert [p.get("thread_ts") for p in posts] == [None, ts]  # the card, the comment's note
    for args in posts:
        texts = _slack_texts(args)
        for shown in texts:
            _assert_inert_in_slack(shown)
        assert any("&lt;script&gt;alert(1)" in shown for shown in texts)  # shown, as text

    sent = chat.connector.sent("POST")
    assert [c.path for c in sent] == [
        f"/v3/conversations/{CHANNEL}/activities",
        f"/v3/conversations/{CHANNEL};messageid={card_id}/activities",
    ]
    for call in sent:
        assert "alert(1)" in json.dumps(call.body)
        _assert_no_mentions_in_teams(call.body)
