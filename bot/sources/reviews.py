"""App store reviews: what a rating says about the item it becomes, the same for every store.

- 1★ a complaint, high severity: an unhappy customer, in public, read by everyone who looks;
- 2★ a complaint, normal severity;
- 3★ feedback, normal severity: mixed, worth a read;
- 4★ and 5★ praise, low severity: nobody needs to act, but people like to see it.

An edited review follows the same rule, so a 5★ review edited to 1★ becomes a high complaint;
a closed item reopens when its review, edited, is a complaint (`bot.sources.intake`).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import Kind, Severity
from bot.intake import CustomerIn
from bot.sources.events import Arrived, Revised, Unusable

RATED = {
    1: (Kind.COMPLAINT, Severity.HIGH),
    2: (Kind.COMPLAINT, Severity.NORMAL),
    3: (Kind.FEEDBACK, Severity.NORMAL),
    4: (Kind.PRAISE, Severity.LOW),
    5: (Kind.PRAISE, Severity.LOW),
}
NAME_MAX_CHARS = 200


def review(
    *,
    key: str,
    rating: object,
    body: str,
    title: str | None,
    author: str | None,
    url: str | None,
    at: datetime | None,
    tags: tuple[str, ...] = (),
) -> Revised:
    """One version of a review, as the item it makes or updates; Unusable when the rating is
    not 1 to 5 stars."""
    if not isinstance(rating, int) or isinstance(rating, bool) or rating not in RATED:
        raise Unusable(f"the rating {rating!r} is not 1 to 5 stars")
    kind, severity = RATED[rating]
    latest = Arrived(
        key=key,
        body=body,
        title=title,
        kind=kind,
        severity=severity,
        customer=CustomerIn(name=(author or "")[:NAME_MAX_CHARS] or None),
        url=url,
        received_at=at,
        tags=(f"{rating}-star", *tags),
    )
    return Revised(latest, what="review", rating=rating)
