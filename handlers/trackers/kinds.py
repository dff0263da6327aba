"""Each kind of tracker with the module that reads its webhooks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bot.trackers.issues import IssueChange, TrackerKind
from handlers.trackers import github, gitlab, jira, linear


class TrackerWebhook(Protocol):
    def verify(self, headers: Mapping[str, str], body: bytes, secret: str) -> bool: ...

    def delivery_id(self, headers: Mapping[str, str]) -> str | None: ...

    def parse(self, headers: Mapping[str, str], body: bytes) -> IssueChange | None: ...


WEBHOOKS: Mapping[TrackerKind, TrackerWebhook] = {
    TrackerKind.GITHUB: github,
    TrackerKind.GITLAB: gitlab,
    TrackerKind.JIRA: jira,
    TrackerKind.LINEAR: linear,
}
