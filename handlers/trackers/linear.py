"""Linear's issue webhooks: `Linear-Signature` is hex HMAC-SHA256(secret, body), the body's
`webhookTimestamp` (milliseconds) must be within a minute of now, as Linear's own SDK checks, so
a recorded delivery cannot be played again later; each delivery's id is in `Linear-Delivery`.

Only an `Issue` `update` that moves the issue's state changes anything: into a "completed"
state the fix shipped; into a started, unstarted, backlog or triage state it is open again.
Cancelled issues, titles edited, comments and every other event are answered and left alone.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from bot.domain import LinkStatus
from bot.trackers.issues import IssueChange
from handlers.sources.base import dig, hmac_hex, same
from handlers.trackers.base import Unreadable, change_at, json_object

SIGNATURE = "linear-signature"
DELIVERY = "linear-delivery"
FRESH_SECONDS = 60.0
_OPEN = frozenset({"started", "unstarted", "backlog", "triage"})


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    if not same(hmac_hex(secret, body), headers.get(SIGNATURE, "").strip()):
        return False
    try:
        sent = json.loads(body).get("webhookTimestamp")
    except (ValueError, AttributeError):
        return False
    fresh = isinstance(sent, int | float) and abs(time.time() - sent / 1000) <= FRESH_SECONDS
    return bool(fresh)


def delivery_id(headers: Mapping[str, str]) -> str | None:
    return headers.get(DELIVERY) or None


def parse(headers: Mapping[str, str], body: bytes) -> IssueChange | None:
    """What the delivery says happened to an issue; None when it is nothing we act on."""
    payload = json_object(body)
    if payload.get("type") != "Issue" or payload.get("action") != "update":
        return None
    issue = payload.get("data")
    if not isinstance(issue, dict):
        raise Unreadable("there is no issue in it")
    if "stateId" not in (payload.get("updatedFrom") or {}):
        return None  # its state did not move
    state = dig(issue, "state.type")
    if state == "completed":
        status = LinkStatus.CLOSED
    elif state in _OPEN:
        status = LinkStatus.OPEN
    else:
        return None
    return change_at(payload.get("url") or issue.get("url"), issue.get("title"), status)
