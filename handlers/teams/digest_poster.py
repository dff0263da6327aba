"""Delivers the digest in Teams (the `DigestPublisher` port): channel posts and 1:1 messages.

How a person is found and reached lives in `TeamsMessenger`; this class only renders the card.
"""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.digest.model import Chart, Digest
from handlers.teams.digest_card import digest_card
from handlers.teams.direct import TeamsMessenger
from handlers.teams.poster import card_message


class TeamsDigestPoster(TeamsMessenger):
    async def post_to_channel(self, channel: str, digest: Digest, chart: Chart) -> None:
        await self.send_to_channel(channel, _activity(digest, chart))

    async def send_to_person(self, email: str, digest: Digest, chart: Chart) -> bool:
        return await self.send_to_email(email, _activity(digest, chart))


def _activity(digest: Digest, chart: Chart) -> Activity:
    return card_message(digest_card(digest, chart.compact))
