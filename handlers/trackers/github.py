"""GitHub's `issues` webhooks: `X-Hub-Signature-256: sha256=` hex HMAC-SHA256(secret, body),
the event named in `X-GitHub-Event`, each delivery's id in `X-GitHub-Delivery`.

Only `closed` (the fix shipped) and `reopened` change anything; every other event or action
(the `ping` GitHub sends when the webhook is made, an issue opened or labelled) is answered and
left alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain import LinkStatus
from bot.trackers.issues import IssueChange
from handlers.sources.base import hmac_hex, scheme_signature_holds
from handlers.trackers.base import Unreadable, change_at, json_object

SIGNATURE = "x-hub-signature-256"
EVENT = "x-github-event"
DELIVERY = "x-github-delivery"
_STATUS = {"closed": LinkStatus.CLOSED, "reopened": LinkStatus.OPEN}


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    return scheme_signature_holds(headers.get(SIGNATURE, ""), "sha256", hmac_hex(secret, body))


def delivery_id(headers: Mapping[str, str]) -> str | None:
    return headers.get(DELIVERY) or None


def parse(headers: Mapping[str, str], body: bytes) -> IssueChange | None:
    """What the delivery says happened to an issue; None when it is nothing we act on."""
    if headers.get(EVENT) != "issues":
        return None
    payload = json_object(body)
    issue = payload.get("issue")
    if not isinstance(issue, dict):
        raise Unreadable("there is no issue in it")
    status = _STATUS.get(str(payload.get("action")))
    if status is None:
        return None
    return change_at(issue.get("html_url"), issue.get("title"), status)
