"""What the Slack benchmarks share: the server's environment, channels routed by tag, and a
button click as Slack sends it (form-encoded `block_actions`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from tests.support.fakes.slack_workspace import TEAM

if TYPE_CHECKING:
    from bot.core import Core

TOKEN = "xoxb-bench"  # noqa: S105 (a local fake)
SECRET = "bench-signing-secret"  # noqa: S105


def slack_env(database_url: str, api_url: str) -> dict[str, str]:
    """`allhands serve`'s environment: this database, Slack at the fake Web API."""
    return {
        "ALLHANDS_DATABASE_URL": database_url,
        "ALLHANDS_LOG_LEVEL": "WARNING",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        # Every item gets its card: these benchmarks measure card traffic, not flood summaries.
        "ALLHANDS_FLOOD_CARDS_PER_HOUR": "0",
    }


def routed_core(env: dict[str, str], channels: Sequence[str]) -> Core:
    """The migrated database's core (no outbox worker), routing tag `c0x` to channel `C0X`."""
    from app import build_core
    from bot.config import Settings
    from storage.db import upgrade

    upgrade(env["ALLHANDS_DATABASE_URL"])
    core = build_core(Settings(**env))
    rules = [
        {"name": c, "tags": [c.lower()], "destinations": [{"platform": "slack", "channel": c}]}
        for c in channels
    ]
    core.admin.change("routes", {"rules": rules}, None)
    return core


def button_click(action_id: str, ref: str, channel: str, ts: str, user: str, trigger: str) -> str:
    """A click on the card (`channel`, `ts`) of `ref`; `trigger` must be new for every click,
    as Slack's trigger ids are (they are the dedup key)."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "bench", "team_id": TEAM},
        "api_app_id": "A0BENCH",
        "team": {"id": TEAM, "domain": "bench"},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "trigger_id": trigger,
        "channel": {"id": channel, "name": "feedback"},
        "message": {"ts": ts, "text": ref},
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b",
                "type": "button",
                "value": ref,
                "action_ts": trigger,
                "text": {"type": "plain_text", "text": "Go"},
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})
