"""App Store Connect customer reviews: one review per kept delivery, in the shape
`GET /v1/apps/{id}/customerReviews` lists it (`handlers/vendors/appstore.py` fetches them;
Apple posts nothing to us).

Apple gives a review no time of change. A customer's edit replaces their review, and
`createdDate` is the date of the version listed; a digest of the rating, title and body also
tells an edit that kept its date apart from the same words fetched again. Apple has no link to
one review: the card links to the app's Ratings and Reviews in App Store Connect, where the
team can answer it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot.sources.events import SourceEvent, Unusable
from bot.sources.registry import SourceConfig
from bot.sources.reviews import review
from handlers.sources.base import Received, json_object, need, text_of, timestamp

REVIEWS_PAGE = (
    "https://appstoreconnect.apple.com/apps/{app}/distribution/activity/ios/ratingsResponses"
)


def event_id(found: Mapping[str, Any]) -> str:
    """Names this version of the review: its id, date and words."""
    attributes = found.get("attributes") or {}
    words = json.dumps([attributes.get(k) for k in ("rating", "title", "body")], sort_keys=True)
    digest = hashlib.sha256(words.encode()).hexdigest()[:16]
    return f"{found.get('id')}@{attributes.get('createdDate')}#{digest}"


def changed_at(found: Mapping[str, Any]) -> datetime | None:
    return timestamp((found.get("attributes") or {}).get("createdDate"))


def parse(received: Received, source: SourceConfig) -> list[SourceEvent]:
    data = json_object(received.body)
    key = str(need(data, "id"))
    attributes = need(data, "attributes")
    title = text_of(attributes.get("title")) or None
    body = text_of(attributes.get("body"))
    if not body and title:
        body, title = title, None
    if not body:
        raise Unusable("attributes.body is missing")
    app = str(source.options.get("app_id") or "")
    territory = text_of(attributes.get("territory")).lower()[:10]
    return [
        review(
            key=key,
            rating=need(attributes, "rating"),
            body=body,
            title=title,
            author=text_of(attributes.get("reviewerNickname")),
            url=REVIEWS_PAGE.format(app=quote(app, safe="")) if app else None,
            at=timestamp(attributes.get("createdDate")),
            tags=(territory,) if territory else (),
        )
    ]
