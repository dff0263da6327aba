"""Google Play reviews: one review per kept delivery, in the shape
`GET /androidpublisher/v3/applications/{package}/reviews` lists it (`handlers/vendors/
googleplay.py` fetches them). Google lists only reviews with words, and only for a week.

The customer's comment carries `lastModified`: a new time is a new version (an edit). Where a
customer wrote a title, Google joins it to the text with a tab. The card links to the review
on the app's Play Store page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from bot.sources.events import SourceEvent, Unusable
from bot.sources.registry import SourceConfig
from bot.sources.reviews import review
from handlers.sources.base import Received, json_object, need, text_of

STORE_PAGE = "https://play.google.com/store/apps/details?"
VERSION_MAX_CHARS = 40


def user_comment(found: Mapping[str, Any]) -> Mapping[str, Any]:
    """The customer's own words among the review's comments (the others are our replies)."""
    for comment in found.get("comments") or ():
        if isinstance(comment, Mapping) and isinstance(comment.get("userComment"), Mapping):
            mine: Mapping[str, Any] = comment["userComment"]
            return mine
    raise Unusable("comments[].userComment is missing")


def changed_at(found: Mapping[str, Any]) -> datetime | None:
    try:
        last = user_comment(found).get("lastModified") or {}
        seconds, nanos = int(last["seconds"]), int(last.get("nanos") or 0)
    except (Unusable, KeyError, TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=nanos // 1000)


def event_id(found: Mapping[str, Any]) -> str:
    """Names this version of the review: its id and the time the customer last changed it."""
    at = changed_at(found)
    return f"{found.get('reviewId')}@{at.isoformat() if at else 'unknown'}"


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    data = json_object(received.body)
    key = str(need(data, "reviewId"))
    comment = user_comment(data)
    text = need(comment, "text")
    head, tab, rest = str(text).partition("\t")
    title, body = (text_of(head), text_of(rest)) if tab and text_of(rest) else (None, text_of(text))
    if not body:
        raise Unusable("comments[].userComment.text is missing")
    version = text_of(comment.get("appVersionName"))[:VERSION_MAX_CHARS]
    package = str(source.options.get("package") or "")
    url = STORE_PAGE + urlencode({"id": package, "reviewId": key}) if package else None
    return [
        review(
            key=key,
            rating=comment.get("starRating"),
            body=body,
            title=title or None,
            author=text_of(data.get("authorName")),
            url=url,
            at=changed_at(data),
            tags=(f"v{version}",) if version else (),
        )
    ]
