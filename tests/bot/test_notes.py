"""Follow-up lines the bot posts in a card's thread read as a person would write them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain import Customer, Event, EventKind, Feedback, Kind, Platform, Severity, State
from bot.notes import follow_up

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ITEM = Feedback(
    id=7,
    source="email",
    external_id=None,
    title=None,
    body="Help",
    kind=Kind.QUESTION,
    severity=Severity.URGENT,
    tags=(),
    product_area=None,
    url=None,
    customer=Customer(),
    received_at=NOW,
    state=State.OPEN,
    claimed=None,
    closed=None,
    resolution=None,
    notify_customer=False,
    created_at=NOW,
    updated_at=NOW,
    version=1,
)


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            EventKind.NUDGED,
            {"minutes": 16},
            "⏰ FB-7 has waited 16 min for someone. Can you take it?",
        ),
        (
            EventKind.ESCALATED,
            {"minutes": 31, "leads": ["Lee", "Ana"]},
            "🚨 FB-7 has waited 31 min: escalated to Lee, Ana.",
        ),
        (
            EventKind.ESCALATED,
            {"minutes": 31, "leads": []},
            "🚨 FB-7 has waited 31 min: escalated to the leads.",
        ),
        (
            EventKind.REMINDED,
            {"hours": 25, "holder": "Ana"},
            "👋 Ana: FB-7 has been quiet for 25 h. Still on it? If not, unclaim or close it.",
        ),
        (EventKind.REPLIED, {"channel": "email"}, "✉️ Someone replied to the customer by email."),
        (
            EventKind.REPLY_FAILED,
            {"error": "550 5.1.1 No such user"},
            "⚠️ The reply to the customer was refused: 550 5.1.1 No such user. "
            "Retry sends it again (or `allhands feedback reply-retry FB-7`).",
        ),
        (EventKind.CLAIMED, {}, None),
    ],
)
def test_follow_up_lines(kind: EventKind, data: dict[str, object], expected: str | None) -> None:
    event = Event(1, ITEM.id, kind, None, Platform.SYSTEM, NOW, data)
    assert follow_up(ITEM, event) == expected
