"""People, integrations and drafts, built the same way in every test."""

from __future__ import annotations

from typing import Any

from bot.domain import Identity, Platform
from bot.intake import FeedbackDraft

# The Zendesk integration's API token, as the ingest API sees it.
API = Identity(Platform.API, "zendesk", "zendesk")


def person(name: str, platform: Platform = Platform.SLACK) -> Identity:
    """An employee identity with a predictable email."""
    return Identity(platform, f"{platform.value}:{name}", name.capitalize(), f"{name}@example.com")


def draft(body: str = "The export button does nothing", **fields: Any) -> FeedbackDraft:
    """A piece of feedback as an integration sends it (from Zendesk unless `source` says)."""
    return FeedbackDraft.model_validate({"source": "zendesk", "body": body, **fields})
