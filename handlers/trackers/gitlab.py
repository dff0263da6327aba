"""GitLab's issue webhooks ("Issue Hook"): the webhook's secret token sent as is in
`X-Gitlab-Token`, the event named in `X-Gitlab-Event`, each delivery's id in
`X-Gitlab-Event-UUID`.

Only the `close` and `reopen` actions change anything; an issue opened or edited, and every
other hook, is answered and left alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain import LinkStatus
from bot.trackers.issues import IssueChange
from handlers.sources.base import same
from handlers.trackers.base import Unreadable, change_at, json_object

SIGNATURE = "x-gitlab-token"  # the secret itself, not a signature
EVENT = "x-gitlab-event"
DELIVERY = "x-gitlab-event-uuid"
_STATUS = {"close": LinkStatus.CLOSED, "reopen": LinkStatus.OPEN}


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    """GitLab signs nothing: the token it sends must be the secret (compared in constant time)."""
    return same(secret, headers.get(SIGNATURE, ""))


def delivery_id(headers: Mapping[str, str]) -> str | None:
    return headers.get(DELIVERY) or None


def parse(headers: Mapping[str, str], body: bytes) -> IssueChange | None:
    """What the delivery says happened to an issue; None when it is nothing we act on."""
    if headers.get(EVENT) != "Issue Hook":
        return None
    payload = json_object(body)
    issue = payload.get("object_attributes")
    if payload.get("object_kind") != "issue" or not isinstance(issue, dict):
        raise Unreadable("there is no issue in it")
    status = _STATUS.get(str(issue.get("action")))
    if status is None:
        return None
    return change_at(issue.get("url"), issue.get("title"), status)
