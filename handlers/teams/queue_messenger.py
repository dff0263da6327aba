"""The rota's shift-start message in Teams (the `QueueMessenger` port): a 1:1 card of the queue.

Reaching the person is `TeamsMessenger`'s job; the card's Claim buttons are the item cards' own,
so the bot's ordinary invoke handler claims from the direct message too.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Feedback
from handlers.teams.cards import queue_card
from handlers.teams.direct import TeamsMessenger
from handlers.teams.poster import card_message


class TeamsQueueMessenger(TeamsMessenger):
    async def send_queue(self, email: str, intro: str, items: Sequence[Feedback]) -> bool:
        return await self.send_to_email(email, card_message(queue_card(intro, items)))
