"""Issue trackers' webhooks as the trackers send them, and a core whose linked items hear them.

GitHub, Jira and Linear deliveries start from the real examples in the shared real data (a copy
changed where a test needs another action); GitLab's, for which none was found, are built here
from GitLab's documented "Issue Hook" shape. Each is signed the tracker's own way.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

from aiohttp.test_utils import TestClient

from bot.core import Core
from bot.domain import Identity, Platform
from handlers.sources.base import hmac_hex
from tests.support.builders import API, draft
from tests.support.eventually import eventually
from tests.support.fakes.slack_api import FakeSlackApi
from tests.support.realdata import realdata_json

CARDS = "C0CARDS"
SECRET = "a-test-secret-for-this-webhook"
Client = TestClient[Any, Any]
CLAIMERS = [
    ("UANA", "Ana Lima", "ana@example.com"),
    ("UBEN", "Ben Okafor", "ben@example.com"),
    ("UCAI", "Cai Wen", "cai@example.com"),
]
GITLAB_ISSUE = "https://gitlab.example.com/acme/app/-/issues/23"


def slack_person(user_id: str, name: str, email: str) -> Identity:
    return Identity(Platform.SLACK, f"T0001:{user_id}", name, email)


def add_claimers(slack: FakeSlackApi) -> None:
    for user_id, name, email in CLAIMERS:
        slack.add_user(user_id, name, email)


async def linked_and_claimed(core: Core, slack: FakeSlackApi, url: str) -> list[str]:
    """Three items, each claimed in Slack by a different person and linked to `url`."""
    refs = []
    for index, (user_id, name, email) in enumerate(CLAIMERS):
        item = core.desk.ingest(draft(f"Export fails, case {index}"), API).item
        who = slack_person(user_id, name, email)
        core.desk.claim(item.ref, who)
        assert core.desk.link(item.ref, who, url).changed
        refs.append(item.ref)
    await eventually(lambda: len(slack.cards(CARDS)) == 3)
    return refs


def direct_messages(slack: FakeSlackApi) -> list[str]:
    """The DM channels the bot posted to (Slack's D… conversations)."""
    posts = slack.calls_to("chat.postMessage")
    return sorted(str(c.args["channel"]) for c in posts if str(c.args["channel"]).startswith("D"))


def card_text(slack: FakeSlackApi) -> list[str]:
    return [json.dumps(card.blocks) for card in slack.cards(CARDS)]


# ---- deliveries -------------------------------------------------------------------------------


def gitlab_issue_hook(action: str, url: str = GITLAB_ISSUE, title: str = "Export fails") -> Any:
    """GitLab's documented Issue Hook body; `action` is open, close, reopen or update."""
    state = "closed" if action == "close" else "opened"
    return {
        "object_kind": "issue",
        "event_type": "issue",
        "user": {"id": 1, "name": "Ana Lima", "username": "ana", "email": "[REDACTED]"},
        "project": {
            "id": 1,
            "name": "app",
            "path_with_namespace": "acme/app",
            "web_url": url.split("/-/", 1)[0],
        },
        "object_attributes": {
            "id": 301,
            "iid": int(url.rsplit("/", 1)[1]),
            "title": title,
            "state": state,
            "action": action,
            "url": url,
            "created_at": "2026-11-30 10:00:00 UTC",
            "updated_at": "2026-12-02 10:00:00 UTC",
        },
        "labels": [],
        "changes": {"state_id": {"previous": 1, "current": 2}},
    }


def jira_status_change(*, done: bool) -> Any:
    """The real `jira:issue_updated` moving TEST-11 to Done; `done=False` moves it back."""
    payload = copy.deepcopy(realdata_json("sources", "jira", "issue_updated_status_changed.json"))
    if not done:
        payload["issue"]["fields"]["status"]["statusCategory"]["key"] = "new"
        payload["issue"]["fields"]["status"]["name"] = "To Do"
    return payload


def jira_issue_url(payload: Any) -> str:
    rest: str = payload["issue"]["self"]
    return f"{rest.split('/rest/api/', 1)[0]}/browse/{payload['issue']['key']}"


def linear_state_change(*, completed: bool) -> Any:
    """The real Linear `Issue` `update`, its state moved (to Done, or back to In Progress),
    stamped now as Linear stamps each delivery."""
    payload = copy.deepcopy(realdata_json("sources", "linear", "issue_update_title_changed.json"))
    state = {"id": "done-state", "name": "Done", "type": "completed"} if completed else None
    if state is not None:
        payload["data"]["state"] = {**payload["data"]["state"], **state}
    payload["updatedFrom"] = {"updatedAt": payload["data"]["updatedAt"], "stateId": "some-state"}
    payload["webhookTimestamp"] = int(time.time() * 1000)
    return payload


def signed_headers(kind: str, body: bytes, delivery: str, secret: str = SECRET) -> dict[str, str]:
    """The headers `kind`'s webhook sends with `body`, signed with `secret`."""
    signature = hmac_hex(secret, body)
    by_kind = {
        "github": {
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": f"sha256={signature}",
        },
        "gitlab": {
            "X-Gitlab-Event": "Issue Hook",
            "X-Gitlab-Event-UUID": delivery,
            "X-Gitlab-Token": secret,
        },
        "jira": {
            "X-Atlassian-Webhook-Identifier": delivery,
            "X-Hub-Signature": f"sha256={signature}",
        },
        "linear": {
            "Linear-Delivery": delivery,
            "Linear-Event": "Issue",
            "Linear-Signature": signature,
        },
    }
    return {"Content-Type": "application/json", **by_kind[kind]}


async def deliver(
    client: Client, kind: str, name: str, payload: Any, delivery: str, secret: str = SECRET
) -> Any:
    body = json.dumps(payload).encode()
    headers = signed_headers(kind, body, delivery, secret)
    return await client.post(f"/trackers/{name}", data=body, headers=headers)
