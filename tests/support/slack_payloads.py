"""Slack's real request payloads (from the shared real-data folder), with ids adapted, signed,
and sent to the server the way Slack sends them.

Every builder loads the published payload and changes only ids and values, so the shapes under
test stay the ones Slack sends.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.support.fakes.slack_workspace import TEAM
from tests.support.realdata import realdata_json, realdata_path

SECRET = "test-signing-secret"
CARDS = "C0CARDS"
_triggers = itertools.count(1)


def signature_headers(body: str, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    stamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


class SlackSender:
    """Sends requests to /slack/events the way Slack does: signed, JSON or form-encoded."""

    def __init__(self, client: TestClient[Any, Any], secret: str = SECRET) -> None:
        self._client = client
        self._secret = secret

    async def event(self, envelope: dict[str, Any], retry: int | None = None) -> ClientResponse:
        body = json.dumps(envelope)
        headers = {"Content-Type": "application/json", **signature_headers(body, self._secret)}
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self._post(body, headers)

    async def interactive(self, payload: dict[str, Any]) -> ClientResponse:
        return await self.form(urlencode({"payload": json.dumps(payload)}))

    async def form(self, body: str) -> ClientResponse:
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **signature_headers(body, self._secret),
        }
        return await self._post(body, headers)

    async def _post(self, body: str, headers: dict[str, str]) -> ClientResponse:
        response = await self._client.post("/slack/events", data=body, headers=headers)
        await response.read()
        return response


def _trigger() -> str:
    return f"{next(_triggers)}.{time.time_ns()}.trigger"


def block_action(
    action_id: str,
    value: str,
    user: str,
    *,
    message_ts: str,
    channel: str = CARDS,
    ephemeral: bool = False,
    response_url: str = "",
    selected: str | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = realdata_json("slack", "events", "block_actions_button.json")
    payload["user"] |= {"id": user, "team_id": TEAM}
    payload["team"]["id"] = TEAM
    payload["container"] |= {
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": ephemeral,
    }
    payload["channel"]["id"] = channel
    payload["trigger_id"] = _trigger()
    payload["response_url"] = response_url or payload["response_url"]
    action = payload["actions"][0]
    action |= {"action_id": action_id, "value": value}
    if selected is not None:  # an overflow menu: no value, a selected option
        action |= {
            "type": "overflow",
            "selected_option": {"value": selected, "text": action["text"]},
        }
        del action["value"]
    return payload


def view_submission(
    callback_id: str, values: dict[str, dict[str, Any]], metadata: str, user: str
) -> dict[str, Any]:
    payload: dict[str, Any] = realdata_json("slack", "events", "view_submission.json")
    payload["user"] |= {"id": user, "team_id": TEAM}
    payload["team"]["id"] = TEAM
    payload["trigger_id"] = _trigger()
    payload["view"] |= {
        "team_id": TEAM,
        "app_installed_team_id": TEAM,  # where Bolt looks first for the team
        "callback_id": callback_id,
        "private_metadata": metadata,
        "state": {"values": {block: {block: value} for block, value in values.items()}},
    }
    return payload


def message_shortcut(
    callback_id: str, user: str, author: str, channel: str, ts: str, text: str
) -> dict[str, Any]:
    payload: dict[str, Any] = realdata_json("slack", "events", "message_shortcut.json")
    payload["user"]["id"] = user
    payload["team"]["id"] = TEAM
    payload["channel"]["id"] = channel
    payload["callback_id"] = callback_id
    payload["trigger_id"] = _trigger()
    payload["message_ts"] = ts
    payload["message"] |= {"user": author, "ts": ts, "text": text, "team": TEAM}
    return payload


def event(name: str, event_id: str, **fields: Any) -> dict[str, Any]:
    """An `event_callback` envelope from the real-data file `name`, with `fields` in its event."""
    envelope: dict[str, Any] = realdata_json("slack", "events", name)
    envelope |= {"type": "event_callback", "team_id": TEAM, "event_id": event_id}
    for authorization in envelope.get("authorizations") or []:
        authorization |= {"team_id": TEAM, "user_id": "UBOT"}
    envelope["event"] |= fields
    return envelope


def slash_command(text: str, user: str, response_url: str, channel: str = CARDS) -> str:
    form = dict(
        parse_qsl(realdata_path("slack", "events", "slash_command.txt").read_text().strip())
    )
    form |= {
        "command": "/allhands",
        "text": text,
        "user_id": user,
        "team_id": TEAM,
        "channel_id": channel,
        "response_url": response_url,
        "trigger_id": _trigger(),
    }
    return urlencode(form)
