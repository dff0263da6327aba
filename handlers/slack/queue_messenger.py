"""The rota's shift-start message in Slack (the `QueueMessenger` port): a DM with the queue.

Each item's row carries the item cards' own Claim button (same action id, the item's ref as
value), so the ordinary card action handler claims from the direct message too.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, SectionBlock

from bot.domain import Feedback
from handlers.slack.blocks import item_rows, verbatim
from handlers.slack.direct import SlackDirect
from handlers.slack.text import escape

MAX_ROWS = 49  # Slack's 50 blocks a message, less the intro


class SlackQueueMessenger(SlackDirect):
    async def send_queue(self, email: str, intro: str, items: Sequence[Feedback]) -> bool:
        channel = await self.direct_channel(email)
        if channel is None:
            return False
        blocks: list[Block] = [
            SectionBlock(text=verbatim(escape(intro))),
            *item_rows(items[:MAX_ROWS], claim_buttons=True),
        ]
        await self.post(channel, text=escape(intro), blocks=blocks)
        return True
