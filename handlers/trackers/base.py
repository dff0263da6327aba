"""What every tracker's webhook module shares: reading the body and naming the issue."""

from __future__ import annotations

import json
from typing import Any

from bot.domain import LinkStatus
from bot.errors import Invalid
from bot.trackers.issues import TITLE_MAX_CHARS, IssueChange, issue_at


class Unreadable(Exception):
    """A signed delivery that does not say what the tracker's issue events say."""


def json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise Unreadable("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise Unreadable("the body is not a JSON object")
    return payload


def change_at(url: object, title: object, status: LinkStatus) -> IssueChange:
    """The change to the issue at `url`, spelled as links spell it; Unreadable when the
    delivery's URL or title is missing or the URL is no issue's."""
    if not isinstance(url, str) or not isinstance(title, str):
        raise Unreadable("the issue has no URL or title")
    try:
        found = issue_at(url)
    except Invalid:
        raise Unreadable(f"the issue's URL is not an issue URL: {url[:200]}") from None
    return IssueChange(found.url, title.strip()[:TITLE_MAX_CHARS] or found.short_name, status)
