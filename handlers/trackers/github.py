"""GitHub's `issues` webhooks: `X-Hub-Signature-256: sha256=` hex HMAC-SHA256(secret, body),
the event named in `X-GitHub-Event`, each delivery's id in `X-GitHub-Delivery`.

Only `closed` (the fix shipped) and `reopened` change anything; every other event or action
(the `ping` GitHub sends when the webhook is made, an issue opened or labelled) is answered and
left alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from bot.domain import LinkStatus
from bot.errors import Invalid
from bot.trackers.issues import TITLE_MAX_CHARS, IssueChange, issue_at
from handlers.sources.base import hmac_hex, scheme_signature_holds

SIGNATURE = "x-hub-signature-256"
EVENT = "x-github-event"
DELIVERY = "x-github-delivery"
_STATUS = {"closed": LinkStatus.CLOSED, "reopened": LinkStatus.OPEN}


class Unreadable(Exception):
    """A signed delivery that does not say what an `issues` event says."""


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    return scheme_signature_holds(headers.get(SIGNATURE, ""), "sha256", hmac_hex(secret, body))


def delivery_id(headers: Mapping[str, str]) -> str | None:
    return headers.get(DELIVERY) or None


def parse(headers: Mapping[str, str], body: bytes) -> IssueChange | None:
    """What the delivery says happened to an issue; None when it is nothing we act on."""
    if headers.get(EVENT) != "issues":
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        raise Unreadable("the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("issue"), dict):
        raise Unreadable("there is no issue in it")
    status = _STATUS.get(str(payload.get("action")))
    if status is None:
        return None
    issue = payload["issue"]
    url, title = issue.get("html_url"), issue.get("title")
    if not isinstance(url, str) or not isinstance(title, str):
        raise Unreadable("the issue has no html_url or title")
    try:
        found = issue_at(url)
    except Invalid:
        raise Unreadable(f"the issue's html_url is not an issue URL: {url[:200]}") from None
    return IssueChange(found.url, title.strip()[:TITLE_MAX_CHARS] or found.short_name, status)
