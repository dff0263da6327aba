"""People, integrations and drafts, built the same way in every test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.domain import Customer, Feedback, Identity, Kind, Platform, Severity, State
from bot.intake import FeedbackDraft

STORED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# The Zendesk integration's API token, as the ingest API sees it.
API = Identity(Platform.API, "zendesk", "zendesk")


def person(name: str, platform: Platform = Platform.SLACK) -> Identity:
    """An employee identity with a predictable email."""
    return Identity(platform, f"{platform.value}:{name}", name.capitalize(), f"{name}@example.com")


def draft(body: str = "The export button does nothing", **fields: Any) -> FeedbackDraft:
    """A piece of feedback as an integration sends it (from Zendesk unless `source` says)."""
    return FeedbackDraft.model_validate({"source": "zendesk", "body": body, **fields})


def stored(**fields: Any) -> Feedback:
    """An item as storage returns it (FB-12, open, from Zendesk), without a database."""
    values: dict[str, Any] = {
        "id": 12,
        "source": "zendesk",
        "external_id": None,
        "title": None,
        "body": "The export button does nothing",
        "kind": Kind.FEEDBACK,
        "severity": Severity.NORMAL,
        "tags": (),
        "product_area": None,
        "url": None,
        "customer": Customer(),
        "received_at": STORED_AT,
        "state": State.OPEN,
        "claimed": None,
        "closed": None,
        "resolution": None,
        "notify_customer": False,
        "created_at": STORED_AT,
        "updated_at": STORED_AT,
        "version": 1,
    }
    return Feedback(**(values | fields))
