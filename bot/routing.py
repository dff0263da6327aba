"""Which channels show an item's card."""

from __future__ import annotations

from bot.domain import Feedback, Platform
from bot.ports import Destination


class StaticRouter:
    """Every item to one Slack and/or one Teams channel, as the environment configures."""

    def __init__(self, slack_channel: str = "", teams_channel: str = "") -> None:
        self._destinations = [
            Destination(platform, channel)
            for platform, channel in (
                (Platform.SLACK, slack_channel),
                (Platform.TEAMS, teams_channel),
            )
            if channel
        ]

    def destinations(self, item: Feedback) -> list[Destination]:
        return list(self._destinations)
