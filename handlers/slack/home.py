"""App Home: my claims, the oldest open items with Claim buttons, and whom I helped this month.

Published when someone opens the tab and again after they act in it, so it is never stale for
the person looking at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, SectionBlock
from slack_sdk.models.views import View

from bot.domain import Feedback, State
from bot.ports.records import ListFilter
from handlers.slack.blocks import item_rows, verbatim
from handlers.slack.inbound import Inbound

LIST_LIMIT = 10


def home_view(mine: Sequence[Feedback], waiting: Sequence[Feedback], helped: int) -> View:
    customers = "customer" if helped == 1 else "customers"
    blocks: list[Block] = [
        HeaderBlock(text="All Hands"),
        SectionBlock(text=verbatim(f"You helped *{helped}* {customers} this month.")),
        DividerBlock(),
        SectionBlock(text=verbatim("*Your claims*" if mine else "*Your claims:* none right now")),
        *item_rows(mine[:LIST_LIMIT], claim_buttons=False),
        DividerBlock(),
        SectionBlock(
            text=verbatim("*Waiting longest*" if waiting else "*Waiting:* nothing is open")
        ),
        *item_rows(waiting[:LIST_LIMIT], claim_buttons=True),
    ]
    return View(type="home", blocks=blocks)


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class HomeTab:
    def __init__(self, inbound: Inbound, zone: ZoneInfo) -> None:
        self._in = inbound
        self._zone = zone

    async def publish(self, context: AsyncBoltContext) -> None:
        desk = self._in.desk
        me = await self._in.core(desk.person, await self._in.who(context))
        mine = await self._in.core(
            desk.shown_search, ListFilter(state=State.CLAIMED, claimed_by=me.id, limit=LIST_LIMIT)
        )
        waiting = await self._in.core(
            desk.shown_search, ListFilter(state=State.OPEN, oldest_first=True, limit=LIST_LIMIT)
        )
        since = month_start(desk.clock.now(), self._zone)
        helped = await self._in.core(desk.helped_since, me, since)
        view = home_view(mine, waiting, helped)
        await self._in.client.views_publish(user_id=context.user_id or "", view=view)
