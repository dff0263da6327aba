"""Jira's issue webhooks: a webhook made with a secret is signed
`X-Hub-Signature: sha256=` hex HMAC-SHA256(secret, body); each delivery's id is in
`X-Atlassian-Webhook-Identifier`.

Only a `jira:issue_updated` whose changelog moves the status changes anything: into the "done"
status category the fix shipped, out of it the issue is open again. Jira names no issue page in
the payload, so its URL is made from the issue's REST `self` URL and key
(`https://SITE/rest/api/2/issue/10010` → `https://SITE/browse/KEY-1`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain import LinkStatus
from bot.trackers.issues import IssueChange
from handlers.sources.base import dig, hmac_hex, scheme_signature_holds
from handlers.trackers.base import Unreadable, change_at, json_object

SIGNATURE = "x-hub-signature"
DELIVERY = "x-atlassian-webhook-identifier"
DONE = "done"  # the status category of every finished status, whatever its name


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    return scheme_signature_holds(headers.get(SIGNATURE, ""), "sha256", hmac_hex(secret, body))


def delivery_id(headers: Mapping[str, str]) -> str | None:
    return headers.get(DELIVERY) or None


def parse(headers: Mapping[str, str], body: bytes) -> IssueChange | None:
    """What the delivery says happened to an issue; None when it is nothing we act on."""
    payload = json_object(body)
    if payload.get("webhookEvent") != "jira:issue_updated" or not _status_moved(payload):
        return None
    issue = payload.get("issue")
    if not isinstance(issue, dict):
        raise Unreadable("there is no issue in it")
    category = dig(issue, "fields.status.statusCategory.key")
    status = LinkStatus.CLOSED if category == DONE else LinkStatus.OPEN
    return change_at(_browse_url(issue), dig(issue, "fields.summary"), status)


def _status_moved(payload: dict[str, Any]) -> bool:
    items = dig(payload, "changelog.items")
    return isinstance(items, list) and any(
        isinstance(item, dict) and item.get("field") == "status" for item in items
    )


def _browse_url(issue: dict[str, Any]) -> str | None:
    rest, key = issue.get("self"), issue.get("key")
    if not isinstance(rest, str) or not isinstance(key, str) or "/rest/api/" not in rest:
        return None
    return f"{rest.split('/rest/api/', 1)[0]}/browse/{key}"
